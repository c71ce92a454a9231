// model/: one ModelClient interface over LLM providers (through the AI SDK) and the scripted
// test double. createModelClient(id) → client.step(request, onEvent) → ModelResult; failures are
// values ({ok:false} plus an `error` event), retries happen inside step(). After a `retry`
// event the attempt starts over: discard text-deltas and tool-calls seen since the last one.
export { createModelClient } from "./create-model-client.ts";
export { canonicalModelId, parseModelId } from "./model-id.ts";
export type { ParsedModelId } from "./model-provider.ts";
export { isResponsesOnlyModel } from "./openai-provider.ts";
export {
  estimateCostUsd,
  estimateUncachedCostUsd,
  estimateWorstCaseCostUsd,
  inputEstimateMargin,
  lookupContextWindow,
  lookupModelPrice,
  priceTable,
} from "./price-table.ts";
export { NoModelConfiguredError, type ResolveModelIdInput, resolveModelId } from "./resolve-model-id.ts";
export { defaultRetryOptions } from "./retry-policy.ts";
export {
  createScriptedModelClient,
  type ModelScript,
  type ScriptedModelClient,
  type ScriptedModelOptions,
  type ScriptedToolCall,
  type ScriptedTurn,
  scriptedLabel,
} from "./scripted-model.ts";
export { readModelScript } from "./scripted-provider.ts";
export { estimateInputTokens, estimateTokens } from "./token-estimate.ts";
export type * from "./types.ts";
