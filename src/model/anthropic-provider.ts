// anthropic:<model> — Claude through the Messages API (@ai-sdk/anthropic).
// ANTHROPIC_BASE_URL follows Anthropic's own SDK and Claude Code (no version path, e.g.
// https://gateway.example.com); the AI SDK wants …/v1, so a missing /v1 is added.
import { defineSdkProvider } from "./sdk-provider.ts";

export function withVersionPath(url: string): string {
  const trimmed = url.replace(/\/+$/, "");
  return /\/v1$/.test(trimmed) ? trimmed : `${trimmed}/v1`;
}

export const anthropicProvider = defineSdkProvider({
  name: "anthropic",
  idExample: "anthropic:claude-sonnet-4-5",
  autoSelectEnv: "ANTHROPIC_API_KEY",
  defaultModel: "claude-sonnet-4-5",
  defaultContextWindow: 200_000,
  apiKeyEnv: "ANTHROPIC_API_KEY",
  apiKeyRequired: true,
  baseURLEnv: "ANTHROPIC_BASE_URL",
  normalizeBaseURL: withVersionPath,
  promptCaching: "anthropic-breakpoints",
  createLanguageModel: async ({ model, apiKey, baseURL, fetch }) =>
    (await import("@ai-sdk/anthropic")).createAnthropic({ apiKey, ...(baseURL ? { baseURL } : {}), fetch })(
      model,
    ),
});
