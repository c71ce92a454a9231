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
}

export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string }
  | { role: "assistant"; content: string; toolCalls?: ToolCall[] }
  | { role: "tool"; toolCallId: string; toolName: string; content: string; isError?: boolean };

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export interface ModelRequest {
  messages: ChatMessage[];
  tools: ToolSpec[];
  maxOutputTokens?: number;
  signal?: AbortSignal;
}

/** Streamed while a step runs; a provider error is an event, never an unhandled rejection. */
export type ModelStreamEvent =
  | { type: "text-delta"; text: string }
  | { type: "tool-call"; call: ToolCall }
  | { type: "retry"; attempt: number; delayMs: number; reason: string }
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
  | "exhausted";

export interface ModelError {
  kind: ModelErrorKind;
  message: string;
  retryable: boolean;
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
  isScripted: boolean;
}

export interface ModelClient {
  readonly info: ModelInfo;
  /** One model call. Retries (429, 5xx, time-outs, cut streams) happen inside, bounded. */
  step(request: ModelRequest, onEvent?: (event: ModelStreamEvent) => void): Promise<ModelResult>;
}

export type ModelResult = { ok: true; response: ModelResponse } | { ok: false; error: ModelError };
