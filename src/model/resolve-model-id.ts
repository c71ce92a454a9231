// Which model a run uses: --model, else closedloop.config.json `model`, else the first
// provider whose API key is in the environment, in registry order.
import { UserError } from "../util/index.ts";
import { parseModelId } from "./model-id.ts";
import { providers } from "./provider-registry.ts";
import type { ModelConfig } from "./types.ts";

export class NoModelConfiguredError extends UserError {
  override readonly name = "NoModelConfiguredError";
}

export interface ResolveModelIdInput {
  flag?: string | undefined;
  config?: Pick<ModelConfig, "model"> | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

export function resolveModelId(input: ResolveModelIdInput): string {
  const chosen = [input.flag, input.config?.model].find((v) => v !== undefined && v.trim() !== "");
  if (chosen !== undefined) {
    parseModelId(chosen); // a typo is reported here, before any run starts
    return chosen;
  }
  const env = input.env ?? process.env;
  for (const provider of providers) {
    if (provider.autoSelectEnv && provider.defaultModel && env[provider.autoSelectEnv]) {
      return `${provider.name}:${provider.defaultModel}`;
    }
  }
  const keys = providers.flatMap((p) => (p.autoSelectEnv ? [p.autoSelectEnv] : []));
  throw new NoModelConfiguredError(
    `no model configured: set one of ${keys.join(", ")}, ` +
      'or pass --model (e.g. --model anthropic:claude-sonnet-4-5, --model ollama:qwen3-coder), or put "model" in closedloop.config.json; ' +
      "use --model scripted:FILE to run offline without an LLM",
  );
}
