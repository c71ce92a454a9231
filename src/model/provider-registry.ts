// Every model provider, one line each. Nothing else in closedloop names a provider: the
// factory, id parsing and model auto-selection all go through this table. Order matters
// for auto-selection from the environment (first key found wins).
import { anthropicProvider } from "./anthropic-provider.ts";
import { googleProvider } from "./google-provider.ts";
import type { ModelProvider } from "./model-provider.ts";
import { ollamaProvider } from "./ollama-provider.ts";
import { openaiCompatibleProvider } from "./openai-compatible-provider.ts";
import { openaiProvider } from "./openai-provider.ts";
import { scriptedProvider } from "./scripted-provider.ts";

export const providers: readonly ModelProvider[] = [
  anthropicProvider,
  openaiProvider,
  googleProvider,
  ollamaProvider,
  openaiCompatibleProvider,
  scriptedProvider,
];

export function findProvider(name: string): ModelProvider | undefined {
  return providers.find((p) => p.name === name);
}
