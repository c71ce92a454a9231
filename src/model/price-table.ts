// Prices (USD per million tokens) and context windows of well-known models, so budgets in
// dollars work without configuration. Users override or extend it with config `prices`.
// Dated snapshots (`claude-sonnet-4-5-20250929`) match their family by longest prefix.
import type { ModelConfig, ModelInfo, ModelPrice, Usage } from "./types.ts";

interface KnownModel extends Required<ModelPrice> {
  contextWindow: number;
}

/** A price with every part filled in; `known` is false when closedloop has no price at all. */
export type ResolvedPrice = Required<ModelPrice> & { known: boolean };

// List prices. Anthropic bills cache reads at 0.1× and 5-minute cache writes at 1.25× the input
// price; OpenAI and Google bill cache reads at a fraction of it and writes at the input price.
const known: Record<string, KnownModel> = {
  "anthropic:claude-opus-4-5": anthropic(5, 25),
  "anthropic:claude-opus-4-1": anthropic(15, 75),
  "anthropic:claude-opus-4": anthropic(15, 75),
  "anthropic:claude-sonnet-4-5": anthropic(3, 15),
  "anthropic:claude-sonnet-4": anthropic(3, 15),
  "anthropic:claude-3-7-sonnet": anthropic(3, 15),
  "anthropic:claude-haiku-4-5": anthropic(1, 5),
  "anthropic:claude-3-5-haiku": anthropic(0.8, 4),
  "openai:gpt-5.1": automatic(1.25, 10, 0.125, 400_000),
  "openai:gpt-5.1-codex": automatic(1.25, 10, 0.125, 400_000),
  "openai:gpt-5.1-codex-mini": automatic(0.25, 2, 0.025, 400_000),
  "openai:gpt-5": automatic(1.25, 10, 0.125, 400_000),
  "openai:gpt-5-codex": automatic(1.25, 10, 0.125, 400_000),
  "openai:gpt-5-mini": automatic(0.25, 2, 0.025, 400_000),
  "openai:gpt-5-nano": automatic(0.05, 0.4, 0.005, 400_000),
  "openai:codex-mini-latest": automatic(1.5, 6, 0.375, 200_000),
  "openai:gpt-4.1": automatic(2, 8, 0.5, 1_047_576),
  "openai:gpt-4.1-mini": automatic(0.4, 1.6, 0.1, 1_047_576),
  "openai:gpt-4.1-nano": automatic(0.1, 0.4, 0.025, 1_047_576),
  "openai:gpt-4o": automatic(2.5, 10, 1.25, 128_000),
  "openai:gpt-4o-mini": automatic(0.15, 0.6, 0.075, 128_000),
  "openai:o3": automatic(2, 8, 0.5, 200_000),
  "openai:o4-mini": automatic(1.1, 4.4, 0.275, 200_000),
  "google:gemini-3-pro-preview": automatic(2, 12, 0.2, 1_048_576),
  "google:gemini-2.5-pro": automatic(1.25, 10, 0.125, 1_048_576),
  "google:gemini-2.5-flash": automatic(0.3, 2.5, 0.03, 1_048_576),
  "google:gemini-2.5-flash-lite": automatic(0.1, 0.4, 0.01, 1_048_576),
};

function anthropic(input: number, output: number): KnownModel {
  return { input, output, cacheRead: input / 10, cacheWrite: input * 1.25, contextWindow: 200_000 };
}

function automatic(input: number, output: number, cacheRead: number, contextWindow: number): KnownModel {
  return { input, output, cacheRead, cacheWrite: input, contextWindow };
}

/** The built-in table, for display (`closedloop models`) and tests. */
export const priceTable: Readonly<Record<string, Readonly<KnownModel>>> = known;

function findKnown(provider: string, model: string): KnownModel | undefined {
  const exact = known[`${provider}:${model}`];
  if (exact) return exact;
  let best: { key: string; value: KnownModel } | undefined;
  for (const [key, value] of Object.entries(known)) {
    const [keyProvider, keyModel] = splitKey(key);
    if (keyProvider !== provider || !model.startsWith(`${keyModel}-`)) continue;
    if (!best || key.length > best.key.length) best = { key, value };
  }
  return best?.value;
}

function splitKey(key: string): [string, string] {
  const colon = key.indexOf(":");
  return [key.slice(0, colon), key.slice(colon + 1)];
}

/** Config keys may name the full id or `provider:model`; the full id wins. */
function fromConfig<T>(table: Record<string, T> | undefined, id: string, provider: string, model: string) {
  return table?.[id] ?? table?.[`${provider}:${model}`];
}

/**
 * Price per million tokens; zero and `known: false` for models nobody priced (then a cost budget
 * cannot be checked, and `--max-cost` refuses to start). Cache prices a config leaves out are
 * taken as the input price: no discount is assumed that nobody promised.
 */
export function lookupModelPrice(
  id: { id: string; provider: string; model: string },
  config?: ModelConfig,
): ResolvedPrice {
  const override = fromConfig(config?.prices, id.id, id.provider, id.model);
  if (override)
    return {
      input: override.input,
      output: override.output,
      cacheRead: override.cacheRead ?? override.input,
      cacheWrite: override.cacheWrite ?? override.input,
      known: true,
    };
  const entry = findKnown(id.provider, id.model);
  if (!entry) return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, known: false };
  const { contextWindow: _window, ...price } = entry;
  return { ...price, known: true };
}

export function lookupContextWindow(
  id: { id: string; provider: string; model: string },
  fallback: number,
  config?: ModelConfig,
): number {
  return (
    fromConfig(config?.contextWindows, id.id, id.provider, id.model) ??
    findKnown(id.provider, id.model)?.contextWindow ??
    fallback
  );
}

export type PricedInfo = Pick<
  ModelInfo,
  "inputPricePerMTok" | "outputPricePerMTok" | "cacheReadPricePerMTok" | "cacheWritePricePerMTok"
>;

/** Dollars for one call's usage: uncached input, cache reads and cache writes each at their price. */
export function estimateCostUsd(info: PricedInfo, usage: Usage): number {
  const read = usage.cacheReadTokens ?? 0;
  const write = usage.cacheWriteTokens ?? 0;
  const uncached = Math.max(0, usage.inputTokens - read - write);
  return (
    (uncached * info.inputPricePerMTok +
      read * info.cacheReadPricePerMTok +
      write * info.cacheWritePricePerMTok +
      usage.outputTokens * info.outputPricePerMTok) /
    1_000_000
  );
}

/** The same usage as if no provider cache existed: every input token at the input price. */
export function estimateUncachedCostUsd(info: PricedInfo, usage: Usage): number {
  return estimateCostUsd(info, { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens });
}

/**
 * The token estimate (≈ 4 characters a token) undercounts what real tokenizers make of code,
 * JSON and non-English text by up to about a third; worst cases add this much on top of it.
 */
export const inputEstimateMargin = 0.5;

/**
 * The most a call could cost: the estimated input with its margin, every input token at the
 * dearer of the input and cache-write prices (nothing read from a cache), plus `maxOutputTokens`
 * of output. A hard cost budget refuses a call when this could pass it.
 */
export function estimateWorstCaseCostUsd(
  info: PricedInfo,
  estimatedInputTokens: number,
  maxOutputTokens: number,
): number {
  const input = Math.ceil(estimatedInputTokens * (1 + inputEstimateMargin));
  const inputPrice = Math.max(info.inputPricePerMTok, info.cacheWritePricePerMTok);
  return (input * inputPrice + maxOutputTokens * info.outputPricePerMTok) / 1_000_000;
}
