// The one retry policy (the AI SDK's own retries are off): which failures are worth another
// attempt, and how long to wait. Rate limits and overloaded servers say when to come back
// (Retry-After); otherwise exponential backoff with jitter so parallel runs do not retry in step.
import { APICallError } from "@ai-sdk/provider";
import type { ModelError, RetryOptions } from "./types.ts";

export const defaultRetryOptions: RetryOptions = { maxRetries: 4, baseDelayMs: 1_000, maxDelayMs: 30_000 };

/** A classified failure plus the wait the server asked for, if it asked. */
export interface ClassifiedError extends ModelError {
  retryAfterMs?: number;
}

export interface FailureContext {
  /** Our idle watchdog fired. */
  timedOut: boolean;
  /** The caller's signal fired. */
  callerAborted: boolean;
  /** The response had started streaming when the error came. */
  streamStarted: boolean;
  /** Environment variable holding the key, named in auth errors. */
  apiKeyEnv?: string;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    return `${error.message}${cause}`;
  }
  if (error && typeof error === "object") {
    const record = error as Record<string, unknown>;
    if (typeof record.message === "string") return record.message;
    return JSON.stringify(error);
  }
  return String(error);
}

export function classifyHttpStatus(
  status: number,
  message: string,
  apiKeyEnv?: string,
): Omit<ClassifiedError, "retryAfterMs"> {
  const base = { statusCode: status };
  if (status === 401 || status === 403) {
    const hint = apiKeyEnv ? `; check ${apiKeyEnv}` : "";
    return {
      ...base,
      kind: "auth",
      retryable: false,
      message: `authentication failed (HTTP ${status})${hint}: ${message}`,
    };
  }
  if (status === 429)
    return { ...base, kind: "rate-limit", retryable: true, message: `rate limited (HTTP 429): ${message}` };
  if (status === 408)
    return { ...base, kind: "timeout", retryable: true, message: `request timed out (HTTP 408): ${message}` };
  if (status >= 500)
    return { ...base, kind: "server", retryable: true, message: `server error (HTTP ${status}): ${message}` };
  if (status === 400)
    return { ...base, kind: "bad-request", retryable: false, message: `bad request (HTTP 400): ${message}` };
  return {
    ...base,
    kind: "provider",
    retryable: false,
    message: `provider refused the request (HTTP ${status}): ${message}`,
  };
}

/** Error objects a provider sends inside the stream (Anthropic `event: error`, OpenAI `{"error":…}`). */
function classifyStreamErrorPayload(error: unknown): ClassifiedError {
  const text = messageOf(error);
  const type =
    error && typeof error === "object" ? String((error as Record<string, unknown>).type ?? "") : "";
  const both = `${type} ${text}`.toLowerCase();
  if (both.includes("rate_limit") || both.includes("rate limit"))
    return { kind: "rate-limit", retryable: true, message: `rate limited mid-stream: ${text}` };
  if (/overloaded|server|internal|api_error|unavailable|timeout/.test(both))
    return { kind: "server", retryable: true, message: `server error mid-stream: ${text}` };
  return { kind: "provider", retryable: false, message: `provider error mid-stream: ${text}` };
}

export function classifyFailure(error: unknown, context: FailureContext): ClassifiedError {
  if (context.callerAborted)
    return { kind: "aborted", retryable: false, message: "the model call was aborted" };
  if (context.timedOut)
    return { kind: "timeout", retryable: true, message: "no data from the provider in time" };
  if (APICallError.isInstance(error)) {
    if (error.statusCode === undefined)
      return { kind: "network", retryable: true, message: `cannot reach the provider: ${messageOf(error)}` };
    // The SDK reports a body that broke while it read ahead as a failed call with status 200.
    if (error.statusCode < 300)
      return { kind: "stream-cut", retryable: true, message: `the stream broke off: ${messageOf(error)}` };
    const retryAfterMs = parseRetryAfterMs(error.responseHeaders);
    const classified = classifyHttpStatus(error.statusCode, error.message, context.apiKeyEnv);
    return retryAfterMs === undefined ? classified : { ...classified, retryAfterMs };
  }
  if (
    error instanceof Error &&
    (error.name === "AI_JSONParseError" || error.name === "AI_TypeValidationError")
  )
    return {
      kind: "stream-cut",
      retryable: true,
      message: `unreadable chunk in the stream: ${error.message}`,
    };
  if (!(error instanceof Error)) return classifyStreamErrorPayload(error);
  if (context.streamStarted)
    return { kind: "stream-cut", retryable: true, message: `the stream broke off: ${messageOf(error)}` };
  return { kind: "network", retryable: true, message: `cannot reach the provider: ${messageOf(error)}` };
}

/** Classifies an `error` part the provider put into the stream. */
export function classifyStreamError(error: unknown): ClassifiedError {
  if (APICallError.isInstance(error) || error instanceof Error)
    return classifyFailure(error, { timedOut: false, callerAborted: false, streamStarted: true });
  return classifyStreamErrorPayload(error);
}

/** `retry-after-ms`, or `retry-after` as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfterMs(
  headers: Record<string, string> | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const ms = lower["retry-after-ms"];
  if (ms !== undefined && /^\d+(\.\d+)?$/.test(ms.trim())) return Number(ms);
  const value = lower["retry-after"]?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Wait before retry number `retry` (1-based). A server's Retry-After is honoured as given
 * (capped at maxDelayMs); otherwise base·2^(retry-1) with "equal jitter": half fixed, half random.
 */
export function computeRetryDelayMs(
  retry: number,
  options: RetryOptions,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(0, retryAfterMs), options.maxDelayMs);
  const exponential = Math.min(options.baseDelayMs * 2 ** (retry - 1), options.maxDelayMs);
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/** Resolves after `ms`, or early (false) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
