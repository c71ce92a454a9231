// Prompt caching, per provider, through the AI SDK's provider options. The loop only says which
// leading messages repeat the previous request (PromptCacheHint); this file turns that into what
// each service needs:
// - Anthropic caches only where the request marks `cache_control`, at most 4 breakpoints. We mark
//   the system prompt (it caches the tool schemas with it: tools come first in Anthropic's
//   prefix), the last message the previous request also had (so its cache entry is read exactly,
//   however many blocks were appended since), and the last message (written for the next request).
// - OpenAI caches any prefix of 1024+ tokens automatically; a stable `prompt_cache_key` per run
//   routes the run's requests to the same cache.
// - Google (implicit caching) and OpenAI-compatible servers (vLLM's prefix cache) need nothing
//   but a stable prefix.
import type { LanguageModelV3Prompt, SharedV3ProviderOptions } from "@ai-sdk/provider";
import type { PromptCacheHint } from "./types.ts";

export type PromptCaching = "anthropic-breakpoints" | "openai-cache-key" | "implicit";

const ephemeral: SharedV3ProviderOptions = { anthropic: { cacheControl: { type: "ephemeral" } } };

/** Anthropic's limit on `cache_control` blocks in one request. */
export const anthropicMaxBreakpoints = 4;

/**
 * Indices (into the converted prompt) that get a breakpoint: the last system message, the last
 * message of the stable prefix, the last message. `promptIndexOf` maps a ChatMessage index to its
 * prompt index (messages with nothing to send are dropped in conversion).
 */
export function anthropicBreakpoints(
  prompt: LanguageModelV3Prompt,
  hint: PromptCacheHint,
  promptIndexOf: (messageIndex: number) => number,
): number[] {
  const marks = new Set<number>();
  const lastSystem = prompt.findLastIndex((m) => m.role === "system");
  if (lastSystem >= 0) marks.add(lastSystem);
  if (hint.stableMessages > 0) {
    const stable = promptIndexOf(hint.stableMessages - 1);
    if (stable > lastSystem) marks.add(stable);
  }
  if (prompt.length > 0) marks.add(prompt.length - 1);
  return [...marks].sort((a, b) => a - b).slice(-anthropicMaxBreakpoints);
}

/** The prompt with cache markers, and the call-level provider options, for one strategy. */
export function applyPromptCaching(
  strategy: PromptCaching,
  prompt: LanguageModelV3Prompt,
  hint: PromptCacheHint | undefined,
  promptIndexOf: (messageIndex: number) => number,
): { prompt: LanguageModelV3Prompt; providerOptions?: SharedV3ProviderOptions } {
  if (!hint) return { prompt };
  switch (strategy) {
    case "anthropic-breakpoints": {
      const marks = new Set(anthropicBreakpoints(prompt, hint, promptIndexOf));
      return {
        prompt: prompt.map((message, i) =>
          marks.has(i)
            ? { ...message, providerOptions: { ...message.providerOptions, ...ephemeral } }
            : message,
        ) as LanguageModelV3Prompt,
      };
    }
    case "openai-cache-key":
      return { prompt, providerOptions: { openai: { promptCacheKey: hint.key } } };
    case "implicit":
      return { prompt };
  }
}
