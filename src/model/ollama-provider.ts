// ollama:<model> — a local Ollama through its OpenAI-compatible endpoint. No key; prices 0.
// OLLAMA_BASE_URL includes the /v1 path; without it, Ollama's own OLLAMA_HOST (host:port or a
// URL, no path) is honoured so an existing Ollama setup works unchanged.
import { UserError } from "../util/index.ts";
import { defineSdkProvider } from "./sdk-provider.ts";

/** `0.0.0.0:11434`, `myhost`, `http://myhost:11434` → an http(s) URL ending in /v1. */
export function ollamaHostToBaseURL(host: string): string {
  const withScheme = /^https?:\/\//.test(host) ? host : `http://${host}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UserError(
      `OLLAMA_HOST="${host}" is not a host:port or URL; fix it, or set OLLAMA_BASE_URL=http://HOST:11434/v1`,
    );
  }
  if (url.hostname === "0.0.0.0") url.hostname = "127.0.0.1"; // a listen address, not one to dial
  if (!url.port && !/^https?:\/\/[^/]*:\d+/.test(withScheme)) url.port = "11434";
  return `${url.origin}/v1`;
}

export const ollamaProvider = defineSdkProvider({
  name: "ollama",
  idExample: "ollama:qwen3-coder",
  // Ollama's server decides the real window (num_ctx); this is a conservative guess for budgeting.
  defaultContextWindow: 32_768,
  apiKeyRequired: false,
  localModels: true,
  baseURLEnv: "OLLAMA_BASE_URL",
  baseURLFromEnv: (env) => (env.OLLAMA_HOST ? ollamaHostToBaseURL(env.OLLAMA_HOST) : undefined),
  defaultBaseURL: "http://127.0.0.1:11434/v1",
  createLanguageModel: async ({ model, baseURL, fetch }) =>
    (await import("@ai-sdk/openai-compatible"))
      .createOpenAICompatible({ name: "ollama", baseURL: baseURL!, includeUsage: true, fetch })
      .chatModel(model),
});
