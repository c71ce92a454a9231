// openai:<model> — OpenAI through Chat Completions (@ai-sdk/openai `.chat`). Chat Completions
// rather than the Responses API so one wire format serves OpenAI, Ollama and every
// OpenAI-compatible server, and one loopback server tests them all.
import { defineSdkProvider } from "./sdk-provider.ts";

export const openaiProvider = defineSdkProvider({
  name: "openai",
  idExample: "openai:gpt-5",
  autoSelectEnv: "OPENAI_API_KEY",
  defaultModel: "gpt-5",
  defaultContextWindow: 128_000,
  apiKeyEnv: "OPENAI_API_KEY",
  apiKeyRequired: true,
  baseURLEnv: "OPENAI_BASE_URL",
  createLanguageModel: async ({ model, apiKey, baseURL, fetch }) =>
    (await import("@ai-sdk/openai"))
      .createOpenAI({ apiKey, ...(baseURL ? { baseURL } : {}), fetch })
      .chat(model),
});
