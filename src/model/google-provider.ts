// google:<model> — Gemini through the Generative Language API (@ai-sdk/google).
import { defineSdkProvider } from "./sdk-provider.ts";

export const googleProvider = defineSdkProvider({
  name: "google",
  idExample: "google:gemini-2.5-pro",
  autoSelectEnv: "GOOGLE_GENERATIVE_AI_API_KEY",
  defaultModel: "gemini-2.5-pro",
  defaultContextWindow: 1_048_576,
  apiKeyEnv: "GOOGLE_GENERATIVE_AI_API_KEY",
  apiKeyRequired: true,
  baseURLEnv: "GOOGLE_GENERATIVE_AI_BASE_URL",
  createLanguageModel: async ({ model, apiKey, baseURL, fetch }) =>
    (await import("@ai-sdk/google")).createGoogleGenerativeAI({
      apiKey,
      ...(baseURL ? { baseURL } : {}),
      fetch,
    })(model),
});
