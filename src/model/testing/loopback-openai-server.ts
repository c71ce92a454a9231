// The OpenAI Chat Completions streaming format (also spoken by Ollama, vLLM, llama.cpp, LM Studio):
// `data: {chat.completion.chunk}` lines, tool-call arguments streamed as string pieces, a final
// usage chunk (stream_options.include_usage), then `data: [DONE]`.
import type { CacheRule, PromptBlocks } from "./loopback-prompt-cache.ts";
import {
  type LoopbackFormat,
  type LoopbackReply,
  type LoopbackServer,
  type StatusErrorNames,
  sseEvent,
  startLoopbackServer,
  statusErrorName,
} from "./loopback-server.ts";

const errorTypes: StatusErrorNames = {
  exact: { 429: "rate_limit_exceeded" },
  server: "server_error",
  client: "invalid_request_error",
};

function chunk(choices: unknown[], extra: Record<string, unknown> = {}) {
  return {
    id: "chatcmpl-loopback",
    object: "chat.completion.chunk",
    created: 1_700_000_000,
    model: "loopback",
    choices,
    ...extra,
  };
}

/** Tools, then each message: the order the prompt reaches the model in. */
function promptBlocks(body: unknown): PromptBlocks {
  const b = (body ?? {}) as { tools?: unknown[]; messages?: unknown[] };
  return {
    blocks: [...(b.tools ?? []), ...(b.messages ?? [])].map((x) => JSON.stringify(x)),
    breakpoints: [],
  };
}

/** OpenAI caches any prefix of 1024+ tokens, in 128-token steps (also how vLLM-style servers look). */
export const openaiCacheRule: CacheRule = { kind: "automatic", minTokens: 1024, granularity: 128 };

export const openaiChatFormat: LoopbackFormat = {
  basePath: "/v1",
  isStreamPath: (path) => path === "/chat/completions",
  cacheRule: openaiCacheRule,
  promptBlocks,
  renderStream(reply, reported) {
    const events = [
      sseEvent(chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }])),
    ];
    for (const text of reply.text ?? []) {
      events.push(sseEvent(chunk([{ index: 0, delta: { content: text }, finish_reason: null }])));
    }
    for (const [index, call] of (reply.toolCalls ?? []).entries()) {
      const id = call.id ?? `call_loopback_${index + 1}`;
      const start = { index, id, type: "function", function: { name: call.name, arguments: "" } };
      events.push(sseEvent(chunk([{ index: 0, delta: { tool_calls: [start] }, finish_reason: null }])));
      for (const piece of call.argsChunks) {
        const delta = { tool_calls: [{ index, function: { arguments: piece } }] };
        events.push(sseEvent(chunk([{ index: 0, delta, finish_reason: null }])));
      }
    }
    const finishReason = (reply.toolCalls ?? []).length > 0 ? "tool_calls" : "stop";
    events.push(sseEvent(chunk([{ index: 0, delta: {}, finish_reason: finishReason }])));
    if (reported) {
      const { inputTokens, outputTokens } = reported;
      const usage = {
        prompt_tokens: inputTokens,
        completion_tokens: outputTokens,
        total_tokens: inputTokens + outputTokens,
        prompt_tokens_details: { cached_tokens: reported.cacheReadTokens ?? 0 },
      };
      events.push(sseEvent(chunk([], { usage })));
    }
    events.push(sseEvent("[DONE]"));
    return events;
  },
  renderStreamError: (message) =>
    sseEvent({ error: { message, type: "server_error", param: null, code: null } }),
  renderError: openaiErrorBody,
};

/** OpenAI's error body, the same on Chat Completions and the Responses API. */
export function openaiErrorBody(status: number, message: string): unknown {
  const type = statusErrorName(status, errorTypes);
  return { error: { message, type, param: null, code: null } };
}

/** Serves POST /v1/chat/completions on 127.0.0.1; point OPENAI_BASE_URL (or baseURL) at `.baseURL`. */
export function startLoopbackOpenAIServer(replies: LoopbackReply[]): Promise<LoopbackServer> {
  return startLoopbackServer(openaiChatFormat, replies);
}
