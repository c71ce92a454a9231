// Prices (USD per million tokens) and context windows of well-known models, so budgets in
// dollars work without configuration. Users override or extend it with config `prices`.
// Dated snapshots (`claude-sonnet-4-5-20250929`) match their family by longest prefix.
import { estimateInputTokens } from "./token-estimate.ts";
import type { ModelConfig, ModelInfo, ModelPrice, ModelRequest, Usage } from "./types.ts";

interface KnownModel extends ModelPrice {
  contextWindow: number;
}

const known: Record<string, KnownModel> = {
  "anthropic:claude-opus-4-5": { input: 5, output: 25, contextWindow: 200_000 },
  "anthropic:claude-opus-4-1": { input: 15, output: 75, contextWindow: 200_000 },
  "anthropic:claude-opus-4": { input: 15, output: 75, contextWindow: 200_000 },
  "anthropic:claude-sonnet-4-5": { input: 3, output: 15, contextWindow: 200_000 },
  "anthropic:claude-sonnet-4": { input: 3, output: 15, contextWindow: 200_000 },
  "anthropic:claude-3-7-sonnet": { input: 3, output: 15, contextWindow: 200_000 },
  "anthropic:claude-haiku-4-5": { input: 1, output: 5, contextWindow: 200_000 },
  "anthropic:claude-3-5-haiku": { input: 0.8, output: 4, contextWindow: 200_000 },
  "openai:gpt-5.1": { input: 1.25, output: 10, contextWindow: 400_000 },
  "openai:gpt-5": { input: 1.25, output: 10, contextWindow: 400_000 },
  "openai:gpt-5-codex": { input: 1.25, output: 10, contextWindow: 400_000 },
  "openai:gpt-5-mini": { input: 0.25, output: 2, contextWindow: 400_000 },
  "openai:gpt-5-nano": { input: 0.05, output: 0.4, contextWindow: 400_000 },
  "openai:gpt-4.1": { input: 2, output: 8, contextWindow: 1_047_576 },
  "openai:gpt-4.1-mini": { input: 0.4, output: 1.6, contextWindow: 1_047_576 },
  "openai:gpt-4.1-nano": { input: 0.1, output: 0.4, contextWindow: 1_047_576 },
  "openai:gpt-4o": { input: 2.5, output: 10, contextWindow: 128_000 },
  "openai:gpt-4o-mini": { input: 0.15, output: 0.6, contextWindow: 128_000 },
  "openai:o3": { input: 2, output: 8, contextWindow: 200_000 },
  "openai:o4-mini": { input: 1.1, output: 4.4, contextWindow: 200_000 },
  "google:gemini-3-pro-preview": { input: 2, output: 12, contextWindow: 1_048_576 },
  "google:gemini-2.5-pro": { input: 1.25, output: 10, contextWindow: 1_048_576 },
  "google:gemini-2.5-flash": { input: 0.3, output: 2.5, contextWindow: 1_048_576 },
  "google:gemini-2.5-flash-lite": { input: 0.1, output: 0.4, contextWindow: 1_048_576 },
};

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

/** Price per million tokens; zero for unknown or local models (then cost budgets cannot bind). */
export function lookupModelPrice(
  id: { id: string; provider: string; model: string },
  config?: ModelConfig,
): ModelPrice & { known: boolean } {
  const override = fromConfig(config?.prices, id.id, id.provider, id.model);
  if (override) return { input: override.input, output: override.output, known: true };
  const entry = findKnown(id.provider, id.model);
  return entry
    ? { input: entry.input, output: entry.output, known: true }
    : { input: 0, output: 0, known: false };
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

/** Dollars for one call's usage at the model's prices. */
export function estimateCostUsd(
  info: Pick<ModelInfo, "inputPricePerMTok" | "outputPricePerMTok">,
  usage: Usage,
): number {
  return (
    (usage.inputTokens * info.inputPricePerMTok + usage.outputTokens * info.outputPricePerMTok) / 1_000_000
  );
}

/**
 * The most a call could cost: the estimated input plus `maxOutputTokens` of output. A hard cost
 * budget refuses a call when this would pass it. The estimate (≈ chars/4) may undercount input
 * for some tokenizers, so callers keep a margin.
 */
export function estimateWorstCaseCostUsd(
  info: Pick<ModelInfo, "inputPricePerMTok" | "outputPricePerMTok">,
  request: Pick<ModelRequest, "messages" | "tools">,
  maxOutputTokens: number,
): number {
  return estimateCostUsd(info, { inputTokens: estimateInputTokens(request), outputTokens: maxOutputTokens });
}
