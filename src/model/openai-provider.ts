// openai:<model> — OpenAI through Chat Completions (@ai-sdk/openai `.chat`), or through the
// Responses API (`.responses`) for the models OpenAI serves only there (the codex models, the
// -pro models, deep research). Chat Completions stays the default so one wire format serves
// OpenAI, Ollama and every OpenAI-compatible server.
import { defineSdkProvider } from "./sdk-provider.ts";

const responsesOnly = [/codex/, /(^|-)pro($|-)/, /deep-research/, /computer-use/];

/** Whether OpenAI serves this model only through the Responses API. */
export function isResponsesOnlyModel(model: string): boolean {
  return responsesOnly.some((pattern) => pattern.test(model));
}

export const openaiProvider = defineSdkProvider({
  name: "openai",
  idExample: "openai:gpt-5",
  autoSelectEnv: "OPENAI_API_KEY",
  defaultModel: "gpt-5",
  defaultContextWindow: 128_000,
  apiKeyEnv: "OPENAI_API_KEY",
  apiKeyRequired: true,
  baseURLEnv: "OPENAI_BASE_URL",
  promptCaching: "openai-cache-key",
  createLanguageModel: async ({ model, apiKey, baseURL, fetch }) => {
    const { createOpenAI } = await import("@ai-sdk/openai");
    const openai = createOpenAI({ apiKey, ...(baseURL ? { baseURL } : {}), fetch });
    return isResponsesOnlyModel(model) ? openai.responses(model) : openai.chat(model);
  },
});
