// Model ids are `provider:rest`; what `rest` means is the provider's business
// (a model name, `URL#model`, a script file).
import { UserError } from "../util/index.ts";
import type { ParsedModelId } from "./model-provider.ts";
import { findProvider, providers } from "./provider-registry.ts";

function knownIds(): string {
  return providers.map((p) => p.idExample).join(", ");
}

/** Splits and checks a model id; throws a UserError that lists the accepted forms. */
export function parseModelId(id: string): ParsedModelId {
  const colon = id.indexOf(":");
  if (colon <= 0) {
    throw new UserError(`model id "${id}" has no provider: write provider:model, one of ${knownIds()}`);
  }
  const name = id.slice(0, colon);
  const provider = findProvider(name);
  if (!provider) {
    throw new UserError(`unknown model provider "${name}" in "${id}": use one of ${knownIds()}`);
  }
  const target = provider.parseTarget(id.slice(colon + 1));
  return { id, provider: provider.name, ...target };
}

/**
 * The id in a form that means the same from any working directory, for storing with a run so
 * `resume` finds the same model (a scripted model's file becomes an absolute path).
 */
export function canonicalModelId(id: string): string {
  const parsed = parseModelId(id);
  const provider = findProvider(parsed.provider);
  const target = id.slice(parsed.provider.length + 1);
  return provider?.canonicalTarget ? `${parsed.provider}:${provider.canonicalTarget(target)}` : id;
}
