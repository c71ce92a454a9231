// A ModelClient over any AI SDK LanguageModelV3 (anthropic, openai, google, ollama, …).
// We call doStream directly, below the SDK's streamText, so there is exactly one retry policy
// (ours) and malformed tool-call JSON reaches us as raw text instead of an SDK exception.
// Every failure becomes a value: ModelResult {ok:false} plus an `error` event.
import type { LanguageModelV3, LanguageModelV3StreamPart, LanguageModelV3Usage } from "@ai-sdk/provider";
import { parseToolCall } from "./parse-tool-call.ts";
import { estimateCostUsd } from "./price-table.ts";
import { applyPromptCaching, type PromptCaching } from "./prompt-caching.ts";
import { convertPrompt, toFunctionTools } from "./prompt-conversion.ts";
import {
  type ClassifiedError,
  classifyFailure,
  classifyStreamError,
  computeRetryDelayMs,
  sleep,
} from "./retry-policy.ts";
import { estimateInputTokens, estimateOutputTokens } from "./token-estimate.ts";
import type {
  BilledAttempt,
  ModelClient,
  ModelError,
  ModelInfo,
  ModelRequest,
  ModelResponse,
  ModelResult,
  ModelStreamEvent,
  RetryOptions,
  ToolCall,
  Usage,
} from "./types.ts";

export interface SdkModelClientOptions {
  info: ModelInfo;
  /** Builds the SDK model around a fetch; called per attempt so the fetch can feed that attempt's watchdog. */
  createLanguageModel: (fetch: typeof globalThis.fetch) => LanguageModelV3 | Promise<LanguageModelV3>;
  fetch: typeof globalThis.fetch;
  retry: RetryOptions;
  timeoutMs: number;
  apiKeyEnv?: string;
  /** How this provider's prompt cache is asked for (see prompt-caching.ts). */
  promptCaching?: PromptCaching;
  random?: () => number;
}

type AttemptResult =
  | { ok: true; response: ModelResponse }
  | { ok: false; error: ClassifiedError; billed?: BilledAttempt };

/** What one attempt received before it ended, for billing an attempt that failed. */
interface AttemptProgress {
  text: string;
  toolCalls: ToolCall[];
  /** The provider's usage, when a finish part (even a partial one) arrived. */
  reported?: LanguageModelV3Usage;
}

class IdleTimeoutError extends Error {
  override readonly name = "IdleTimeoutError";
}

export function createSdkModelClient(options: SdkModelClientOptions): ModelClient {
  const { info, retry } = options;
  return {
    info,
    async step(request, onEvent) {
      // A throwing listener is a bug in the caller: keep it out of the classification, rethrow at the end.
      let listenerError: unknown;
      const emit = (event: ModelStreamEvent) => {
        try {
          onEvent?.(event);
        } catch (error) {
          listenerError ??= error;
        }
      };
      const result = await runWithRetries(options, request, emit, retry);
      if (listenerError !== undefined) throw listenerError;
      return result;
    },
  };
}

async function runWithRetries(
  options: SdkModelClientOptions,
  request: ModelRequest,
  emit: (event: ModelStreamEvent) => void,
  retry: RetryOptions,
): Promise<ModelResult> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await runAttempt(options, request, emit);
    if (outcome.ok) return outcome;
    const { retryAfterMs, ...error } = outcome.error;
    const billed = outcome.billed ? { billed: outcome.billed } : {};
    if (!error.retryable) return fail(emit, { ...error, attempts: attempt, ...billed });
    if (attempt > retry.maxRetries) {
      return fail(emit, {
        kind: "exhausted",
        retryable: false,
        lastKind: error.kind,
        attempts: attempt,
        ...(error.statusCode !== undefined ? { statusCode: error.statusCode } : {}),
        message: `gave up after ${attempt} attempts; last error: ${error.message}`,
        ...billed,
      });
    }
    const delayMs = computeRetryDelayMs(attempt, retry, retryAfterMs, options.random);
    emit({ type: "retry", attempt, delayMs, reason: error.message, kind: error.kind, ...billed });
    if (!(await sleep(delayMs, request.signal))) {
      return fail(emit, {
        kind: "aborted",
        retryable: false,
        message: "the model call was aborted",
        attempts: attempt,
      });
    }
  }
}

function fail(emit: (event: ModelStreamEvent) => void, error: ModelError): ModelResult {
  emit({ type: "error", error });
  return { ok: false, error };
}

/** One request: stream it, forwarding deltas, and turn whatever goes wrong into a classified error. */
async function runAttempt(
  options: SdkModelClientOptions,
  request: ModelRequest,
  emit: (event: ModelStreamEvent) => void,
): Promise<AttemptResult> {
  const watchdog = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      watchdog.abort(new IdleTimeoutError(`no data for ${options.timeoutMs} ms`));
    }, options.timeoutMs);
  };
  const signal = request.signal ? AbortSignal.any([request.signal, watchdog.signal]) : watchdog.signal;
  const watchedFetch = createWatchedFetch(options.fetch, touch);
  let streamStarted = false;
  let reader: ReadableStreamDefaultReader<LanguageModelV3StreamPart> | undefined;
  const progress: AttemptProgress = { text: "", toolCalls: [] };
  touch();
  try {
    const model = await options.createLanguageModel(watchedFetch);
    const converted = convertPrompt(request.messages);
    const { prompt, providerOptions } = applyPromptCaching(
      options.promptCaching ?? "implicit",
      converted.prompt,
      request.cache,
      converted.promptIndexOf,
    );
    const { stream } = await model.doStream({
      prompt,
      ...(providerOptions ? { providerOptions } : {}),
      ...(request.tools.length > 0
        ? { tools: toFunctionTools(request.tools), toolChoice: { type: "auto" } }
        : {}),
      ...(request.maxOutputTokens !== undefined ? { maxOutputTokens: request.maxOutputTokens } : {}),
      abortSignal: signal,
    });
    streamStarted = true;
    reader = stream.getReader();
    const result = await readStream(reader, options.info, request, emit, progress);
    return result.ok ? result : { ...result, ...billAttempt(options.info, request, progress) };
  } catch (error) {
    return {
      ok: false,
      error: classifyFailure(error, {
        timedOut,
        callerAborted: request.signal?.aborted === true,
        streamStarted,
        ...(options.apiKeyEnv ? { apiKeyEnv: options.apiKeyEnv } : {}),
      }),
      // A request the provider answered (or kept waiting) may be billed; a refused one is not.
      ...(streamStarted || timedOut ? billAttempt(options.info, request, progress) : {}),
    };
  } finally {
    clearTimeout(timer);
    // Release the connection if we stopped early (error part, or a classification above).
    reader?.cancel().catch(() => {});
    if (!watchdog.signal.aborted) watchdog.abort();
  }
}

/** A fetch whose every received byte (and the response headers) resets the idle watchdog. */
function createWatchedFetch(base: typeof globalThis.fetch, touch: () => void): typeof globalThis.fetch {
  return async (input, init) => {
    const response = await base(input, init);
    touch();
    if (!response.body) return response;
    const body = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          touch();
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** A failed attempt's bill: the provider's counts where it sent them, estimates for the rest. */
function billAttempt(info: ModelInfo, request: ModelRequest, progress: AttemptProgress) {
  const reported = progress.reported;
  const usage = toUsage(reported, request, progress.text, progress.toolCalls);
  const estimated = reported?.inputTokens.total === undefined || reported.outputTokens.total === undefined;
  const billed: BilledAttempt = { usage, costUsd: estimateCostUsd(info, usage), estimated };
  return { billed };
}

function toUsage(
  reported: LanguageModelV3Usage | undefined,
  request: ModelRequest,
  text: string,
  toolCalls: ToolCall[],
): Usage {
  const input = reported?.inputTokens;
  return {
    inputTokens: input?.total ?? estimateInputTokens(request),
    outputTokens: reported?.outputTokens.total ?? estimateOutputTokens(text, toolCalls),
    ...(input?.cacheRead !== undefined ? { cacheReadTokens: input.cacheRead } : {}),
    ...(input?.cacheWrite !== undefined ? { cacheWriteTokens: input.cacheWrite } : {}),
  };
}

async function readStream(
  reader: ReadableStreamDefaultReader<LanguageModelV3StreamPart>,
  info: ModelInfo,
  request: ModelRequest,
  emit: (event: ModelStreamEvent) => void,
  progress: AttemptProgress,
): Promise<AttemptResult> {
  const toolCalls = progress.toolCalls;
  let finish: Extract<LanguageModelV3StreamPart, { type: "finish" }> | undefined;
  for (;;) {
    const { done, value: part } = await reader.read();
    if (done) break;
    switch (part.type) {
      case "text-delta":
        if (part.delta === "") break;
        progress.text += part.delta;
        emit({ type: "text-delta", text: part.delta });
        break;
      case "tool-call": {
        if (part.providerExecuted) break;
        const parsed = parseToolCall(part.toolCallId, part.toolName, part.input);
        const call = part.providerMetadata ? { ...parsed, providerMetadata: part.providerMetadata } : parsed;
        toolCalls.push(call);
        emit({ type: "tool-call", call });
        break;
      }
      case "error":
        return { ok: false, error: classifyStreamError(part.error) };
      case "finish":
        finish = part;
        progress.reported = part.usage;
        break;
      default:
        break;
    }
  }
  // A stream that ends cleanly but without its finish message was cut (e.g. by a proxy). Some
  // SDK providers still emit `finish` at the end of the body; without a raw reason it was not sent.
  if (!finish || (finish.finishReason.raw === undefined && finish.finishReason.unified === "other"))
    return {
      ok: false,
      error: { kind: "stream-cut", retryable: true, message: "the stream ended before it finished" },
    };
  const text = progress.text;
  const usage = toUsage(finish.usage, request, text, toolCalls);
  const costUsd = estimateCostUsd(info, usage);
  const finishReason = finish.finishReason.unified;
  emit({ type: "finish", usage, costUsd, finishReason });
  return { ok: true, response: { text, toolCalls, usage, costUsd, finishReason } };
}
