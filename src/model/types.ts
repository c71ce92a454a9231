// The boundary between the loop and any LLM provider. The loop sees only these types;
// providers (through the AI SDK) and the scripted test double implement ModelClient.

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export interface ToolCall {
  id: string;
  name: string;
  /** Parsed arguments, or the raw text with the parse error when the model sent bad JSON. */
  args: unknown;
  argsError?: string;
  /**
   * Opaque data a provider attached to the call (e.g. Gemini 3's thought signature). Keep it with
   * the call in history: it is sent back so the provider accepts the conversation as its own.
   */
  providerMetadata?: Record<string, Record<string, unknown>>;
}

export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; toolCalls?: ToolCall[] }
  | { role: "tool"; toolCallId: string; toolName: string; content: string; isError?: boolean };

export interface Usage {
  /** Every input token of the request, cached or not. */
  inputTokens: number;
  outputTokens: number;
  /** Of `inputTokens`, those read from the provider's prompt cache (when it said so). */
  cacheReadTokens?: number;
  /** Of `inputTokens`, those written to the provider's prompt cache (when it said so). */
  cacheWriteTokens?: number;
}

/** What a failed attempt was billed: the provider's own count when it sent one, else estimated. */
export interface BilledAttempt {
  usage: Usage;
  costUsd: number;
  estimated: boolean;
}

/**
 * What lets a provider serve the request's prefix from its cache, in provider-neutral terms;
 * each provider turns it into its own options (Anthropic breakpoints, OpenAI's cache key).
 */
export interface PromptCacheHint {
  /** Stable for a whole run (resume included): OpenAI routes requests with one key together. */
  key: string;
  /** How many leading messages are byte-identical to the previous request's. */
  stableMessages: number;
}

export interface ModelRequest {
  messages: ChatMessage[];
  tools: ToolSpec[];
  maxOutputTokens?: number;
  cache?: PromptCacheHint;
  signal?: AbortSignal;
}

/**
 * Streamed while a step runs; a provider error is an event, never an unhandled rejection.
 * A `retry` event means the attempt starts over: drop text-deltas and tool-calls seen since the
 * previous retry (the final ModelResult holds only the successful attempt's output).
 */
export type ModelStreamEvent =
  | { type: "text-delta"; text: string }
  | { type: "tool-call"; call: ToolCall }
  | {
      type: "retry";
      attempt: number;
      delayMs: number;
      reason: string;
      kind?: ModelErrorKind;
      /** The failed attempt, when the provider may have billed it (it answered, or timed out). */
      billed?: BilledAttempt;
    }
  | { type: "finish"; usage: Usage; costUsd: number; finishReason: string }
  | { type: "error"; error: ModelError };

export interface ModelResponse {
  text: string;
  toolCalls: ToolCall[];
  usage: Usage;
  costUsd: number;
  finishReason: string;
}

export type ModelErrorKind =
  | "rate-limit"
  | "server"
  | "timeout"
  | "stream-cut"
  | "auth"
  | "bad-request"
  | "exhausted"
  /** Could not connect (refused, DNS, reset before a response). Retried. */
  | "network"
  /** The caller's AbortSignal fired. Never retried. */
  | "aborted"
  /** Anything else the provider refused (404 unknown model, 422, an error event in the stream). */
  | "provider";

export interface ModelError {
  kind: ModelErrorKind;
  message: string;
  retryable: boolean;
  /** HTTP status when the provider answered with one. */
  statusCode?: number;
  /** For `exhausted` after retries: what the last attempt failed with. */
  lastKind?: ModelErrorKind;
  /** How many requests were sent in this step (1 + retries). */
  attempts?: number;
  /** The last failed attempt, when it may have been billed (earlier ones came with `retry`). */
  billed?: BilledAttempt;
}

export interface ModelInfo {
  /** As the user wrote it, e.g. `anthropic:claude-sonnet-4-5`. */
  id: string;
  provider: string;
  /** "scripted (no LLM)" for the test double. */
  label: string;
  contextWindow: number;
  /** USD per million tokens; 0 when unknown or free. */
  inputPricePerMTok: number;
  outputPricePerMTok: number;
  cacheReadPricePerMTok: number;
  cacheWritePricePerMTok: number;
  /** False when no price table entry or config price exists (a cost budget cannot bind). */
  priceKnown: boolean;
  isScripted: boolean;
}

export interface ModelClient {
  readonly info: ModelInfo;
  /** One model call. Retries (429, 5xx, time-outs, cut streams) happen inside, bounded. */
  step(request: ModelRequest, onEvent?: (event: ModelStreamEvent) => void): Promise<ModelResult>;
  /**
   * Resume support: the run already made `completedCalls` model calls. Stateless providers
   * ignore it; the scripted model moves to that turn. The loop calls it without knowing which.
   */
  resumeAfter?(completedCalls: number): void;
}

export type ModelResult = { ok: true; response: ModelResponse } | { ok: false; error: ModelError };

/** USD per million tokens. Cache prices left out are taken as the input price. */
export interface ModelPrice {
  input: number;
  output: number;
  /** Input tokens served from the provider's prompt cache. */
  cacheRead?: number;
  /** Input tokens written to the prompt cache (Anthropic: 1.25× input for 5-minute entries). */
  cacheWrite?: number;
}

/** The `model`-related part of closedloop.config.json. */
export interface ModelConfig {
  model?: string;
  /**
   * Overrides of the price table, keyed `provider:model`, e.g.
   * `"openai:gpt-5": {input: 1.25, output: 10, cacheRead: 0.125}`.
   */
  prices?: Record<string, ModelPrice>;
  /** Overrides of the context window, keyed like `prices`. */
  contextWindows?: Record<string, number>;
}

export interface RetryOptions {
  /** Retries after the first attempt; 0 disables retrying. */
  maxRetries: number;
  baseDelayMs: number;
  /** Ceiling for one wait, including a server's Retry-After. */
  maxDelayMs: number;
}

export interface CreateModelClientOptions {
  config?: ModelConfig;
  /** Where API keys and base URLs are read from; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** The fetch providers use (tests may wrap it); defaults to globalThis.fetch. */
  fetch?: typeof globalThis.fetch;
  retry?: Partial<RetryOptions>;
  /** Give up an attempt when no bytes arrive for this long (before or during the stream). */
  timeoutMs?: number;
  /** Base URL override for the chosen provider (otherwise its *_BASE_URL variable or default). */
  baseURL?: string;
  /** Scripted model only: start at this turn (0-based), i.e. after this many completed calls. */
  startAtTurn?: number;
}
