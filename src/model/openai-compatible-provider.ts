// openai-compatible:<baseURL>#<model> — vLLM, llama.cpp server, LM Studio, OpenRouter, …
// The endpoint is part of the id, so one config line names both; the key (optional) comes
// from OPENAI_COMPATIBLE_API_KEY.
import { UserError } from "../util/index.ts";
import { defineSdkProvider } from "./sdk-provider.ts";

const example = "openai-compatible:http://127.0.0.1:8000/v1#qwen3-coder";

function parseEndpointAndModel(target: string): { model: string; baseURL: string } {
  const hash = target.lastIndexOf("#");
  const baseURL = hash < 0 ? "" : target.slice(0, hash);
  const model = hash < 0 ? "" : target.slice(hash + 1);
  let url: URL | undefined;
  try {
    url = new URL(baseURL);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || model.trim() === "") {
    throw new UserError(
      `an openai-compatible model id names an http(s) endpoint and a model: write it like ${example}`,
    );
  }
  return { model, baseURL: baseURL.replace(/\/+$/, "") };
}

export const openaiCompatibleProvider = defineSdkProvider({
  name: "openai-compatible",
  idExample: example,
  defaultContextWindow: 32_768,
  apiKeyEnv: "OPENAI_COMPATIBLE_API_KEY",
  apiKeyRequired: false,
  parseTarget: parseEndpointAndModel,
  createLanguageModel: async ({ model, apiKey, baseURL, fetch }) =>
    (await import("@ai-sdk/openai-compatible"))
      .createOpenAICompatible({
        name: "openai-compatible",
        baseURL: baseURL!,
        ...(apiKey ? { apiKey } : {}),
        includeUsage: true,
        fetch,
      })
      .chatModel(model),
});
