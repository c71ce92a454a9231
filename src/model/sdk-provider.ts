// Turns a few facts about an AI SDK provider (key variable, base URL, how to build the model)
// into a registry entry. Keys and base URLs come from options.env, never straight from
// process.env, so tests can point a provider at a loopback server.
import type { LanguageModelV3 } from "@ai-sdk/provider";
import { UserError } from "../util/index.ts";
import type { ModelProvider, ParsedModelId } from "./model-provider.ts";
import { lookupContextWindow, lookupModelPrice } from "./price-table.ts";
import type { PromptCaching } from "./prompt-caching.ts";
import { defaultRetryOptions } from "./retry-policy.ts";
import { createSdkModelClient } from "./sdk-model-client.ts";
import type { CreateModelClientOptions, ModelInfo } from "./types.ts";

/** Long enough for a reasoning model to think before its first token; Anthropic also pings. */
export const defaultIdleTimeoutMs = 120_000;

export interface SdkProviderSettings {
  model: string;
  apiKey: string | undefined;
  baseURL: string | undefined;
  fetch: typeof globalThis.fetch;
}

export interface SdkProviderDefinition {
  name: string;
  idExample: string;
  autoSelectEnv?: string;
  defaultModel?: string;
  defaultContextWindow: number;
  apiKeyEnv?: string;
  apiKeyRequired: boolean;
  baseURLEnv?: string;
  defaultBaseURL?: string;
  /** Adjusts a base URL from the environment or options (e.g. adds a missing version path). */
  normalizeBaseURL?: (url: string) => string;
  /** A base URL from other, conventional variables, consulted after baseURLEnv. */
  baseURLFromEnv?: (env: NodeJS.ProcessEnv) => string | undefined;
  parseTarget?: (target: string) => { model: string; baseURL?: string };
  /** Models run on the user's own machine: free unless config says otherwise (price known). */
  localModels?: boolean;
  /** How the provider's prompt cache is asked for; default implicit (a stable prefix is enough). */
  promptCaching?: PromptCaching;
  /** Imports its SDK package itself, so a command that makes no model call never loads it. */
  createLanguageModel(settings: SdkProviderSettings): LanguageModelV3 | Promise<LanguageModelV3>;
}

function parsePlainModelName(idExample: string) {
  return (target: string) => {
    if (target.trim() === "") throw new UserError(`the model id names no model: write it like ${idExample}`);
    return { model: target };
  };
}

export function createModelInfo(
  id: ParsedModelId,
  defaultContextWindow: number,
  options: CreateModelClientOptions,
  label: string = id.id,
  localModels = false,
): ModelInfo {
  const price = localModels
    ? { ...lookupModelPrice(id, options.config), known: true }
    : lookupModelPrice(id, options.config);
  return {
    id: id.id,
    provider: id.provider,
    label,
    contextWindow: lookupContextWindow(id, defaultContextWindow, options.config),
    inputPricePerMTok: price.input,
    outputPricePerMTok: price.output,
    cacheReadPricePerMTok: price.cacheRead,
    cacheWritePricePerMTok: price.cacheWrite,
    priceKnown: price.known,
    isScripted: false,
  };
}

export function defineSdkProvider(definition: SdkProviderDefinition): ModelProvider {
  return {
    name: definition.name,
    idExample: definition.idExample,
    ...(definition.autoSelectEnv ? { autoSelectEnv: definition.autoSelectEnv } : {}),
    ...(definition.defaultModel ? { defaultModel: definition.defaultModel } : {}),
    defaultContextWindow: definition.defaultContextWindow,
    parseTarget: definition.parseTarget ?? parsePlainModelName(definition.idExample),
    createClient(id, options) {
      const env = options.env ?? process.env;
      const apiKeyEnv = definition.apiKeyEnv;
      const apiKey = apiKeyEnv ? env[apiKeyEnv] || undefined : undefined;
      if (definition.apiKeyRequired && !apiKey) {
        throw new UserError(
          `${apiKeyEnv} is not set, so ${id.id} cannot be used: export ${apiKeyEnv}=<your key>, ` +
            "or choose another model with --model (use --model scripted:FILE to run offline without an LLM)",
        );
      }
      const configured =
        options.baseURL ??
        (definition.baseURLEnv ? env[definition.baseURLEnv] || undefined : undefined) ??
        definition.baseURLFromEnv?.(env);
      const normalized =
        configured && definition.normalizeBaseURL ? definition.normalizeBaseURL(configured) : configured;
      const baseURL = id.baseURL ?? normalized ?? definition.defaultBaseURL;
      const retry = { ...defaultRetryOptions, ...options.retry };
      return createSdkModelClient({
        info: createModelInfo(id, definition.defaultContextWindow, options, id.id, definition.localModels),
        createLanguageModel: (fetch) =>
          definition.createLanguageModel({ model: id.model, apiKey, baseURL, fetch }),
        fetch: options.fetch ?? globalThis.fetch,
        retry,
        timeoutMs: options.timeoutMs ?? defaultIdleTimeoutMs,
        ...(apiKeyEnv ? { apiKeyEnv } : {}),
        ...(definition.promptCaching ? { promptCaching: definition.promptCaching } : {}),
      });
    },
  };
}
