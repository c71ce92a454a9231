// The one way to get a ModelClient from an id: parse it, hand it to its provider.

import { parseModelId } from "./model-id.ts";
import type { ModelProvider } from "./model-provider.ts";
import { findProvider } from "./provider-registry.ts";
import type { CreateModelClientOptions, ModelClient } from "./types.ts";

/** Throws a UserError for a bad id or missing key; after that, failures are ModelResult values. */
export function createModelClient(id: string, options: CreateModelClientOptions = {}): ModelClient {
  const parsed = parseModelId(id);
  const provider = findProvider(parsed.provider) as ModelProvider;
  return provider.createClient(parsed, options);
}
