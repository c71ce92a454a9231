// What one entry of the provider registry must offer. The factory and the loop see only this;
// each provider file (anthropic-provider.ts, …) implements it, usually via defineSdkProvider.
import type { CreateModelClientOptions, ModelClient } from "./types.ts";

/** A model id split into the provider's name and what follows the first colon. */
export interface ParsedModelId {
  /** As the user wrote it. */
  id: string;
  provider: string;
  /** The model name the provider's API expects (for `scripted:` the script file). */
  model: string;
  /** Only when the id itself names an endpoint (`openai-compatible:URL#model`). */
  baseURL?: string;
}

export interface ModelProvider {
  readonly name: string;
  /** Shown in error messages, e.g. `anthropic:claude-sonnet-4-5`. */
  readonly idExample: string;
  /** Environment variable whose presence selects this provider when no model is named. */
  readonly autoSelectEnv?: string;
  /** The model chosen when autoSelectEnv is set and no model is named. */
  readonly defaultModel?: string;
  /** Context window when the price table does not know the model. */
  readonly defaultContextWindow: number;
  /** Splits the text after `provider:`; throws a UserError when it is malformed. */
  parseTarget(target: string): { model: string; baseURL?: string };
  /** The same target in a form that means the same from any directory (scripted: absolute path). */
  canonicalTarget?(target: string): string;
  /** Throws a UserError for configuration problems (a missing key); never fails later for them. */
  createClient(id: ParsedModelId, options: CreateModelClientOptions): ModelClient;
}
