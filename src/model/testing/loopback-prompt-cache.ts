// The prompt cache of a provider, as the loopback servers play it: each request's prompt is a
// list of blocks in the provider's prefix order (tools, system, messages), tokens ≈ chars/4, and
// cached tokens are the longest prefix shared with an earlier request of the same server (run),
// by the rules the real services publish:
// - automatic (OpenAI, Google): any shared prefix of at least `minTokens`, counted in steps of
//   `granularity` tokens (OpenAI: 1024 minimum, 128-token steps); nothing is billed for writing.
// - breakpoints (Anthropic): only prefixes that end at a `cache_control` block are written; a
//   request reads the longest entry ending at one of its own breakpoints or up to `lookback`
//   blocks before one; what its breakpoints add beyond that is written (cache_creation).

export interface PromptBlocks {
  /** Serialized blocks in cache order, cache markers removed (they do not change the prefix). */
  blocks: string[];
  /** Indices of blocks that carry a cache breakpoint. */
  breakpoints: number[];
}

export type CacheRule =
  | { kind: "automatic"; minTokens: number; granularity: number }
  | { kind: "breakpoints"; minTokens: number; lookback: number };

export interface CacheUsage {
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

const tokensOf = (chars: number) => Math.ceil(chars / 4);

export class PromptCacheSimulator {
  private readonly seen: string[] = [];
  /** Breakpoint prefixes written so far, by their text, with their token count. */
  private readonly entries = new Map<string, number>();

  constructor(readonly rule: CacheRule) {}

  account(prompt: PromptBlocks): CacheUsage {
    const text = prompt.blocks.join("");
    const inputTokens = tokensOf(text.length);
    const usage =
      this.rule.kind === "automatic" ? this.automatic(text, this.rule) : this.breakpoints(prompt, this.rule);
    this.seen.push(text);
    return { inputTokens, ...usage };
  }

  private automatic(text: string, rule: Extract<CacheRule, { kind: "automatic" }>) {
    let shared = 0;
    for (const earlier of this.seen) shared = Math.max(shared, commonPrefixLength(earlier, text));
    const tokens = Math.floor(shared / 4);
    const cached = tokens < rule.minTokens ? 0 : Math.floor(tokens / rule.granularity) * rule.granularity;
    return { cacheReadTokens: cached, cacheWriteTokens: 0 };
  }

  private breakpoints(prompt: PromptBlocks, rule: Extract<CacheRule, { kind: "breakpoints" }>) {
    const prefixes: string[] = [];
    let running = "";
    for (const block of prompt.blocks) {
      running += block;
      prefixes.push(running);
    }
    let read = 0;
    for (const point of prompt.breakpoints) {
      for (let end = point; end >= Math.max(0, point - rule.lookback); end--) {
        const tokens = this.entries.get(prefixes[end]!);
        if (tokens !== undefined) {
          read = Math.max(read, tokens);
          break;
        }
      }
    }
    let written = read;
    for (const point of prompt.breakpoints) {
      const tokens = tokensOf(prefixes[point]!.length);
      if (tokens < rule.minTokens) continue;
      this.entries.set(prefixes[point]!, tokens);
      written = Math.max(written, tokens);
    }
    return { cacheReadTokens: read, cacheWriteTokens: written - read };
  }
}

export function commonPrefixLength(a: string, b: string): number {
  const max = Math.min(a.length, b.length);
  let i = 0;
  while (i < max && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** A value serialized with every `cache_control` field left out, and whether it had one. */
export function serializeWithoutCacheControl(value: unknown): { text: string; marked: boolean } {
  let marked = false;
  const text = JSON.stringify(value, (key, v) => {
    if (key === "cache_control") {
      if (v) marked = true;
      return undefined;
    }
    return v;
  });
  return { text: text ?? "", marked };
}
