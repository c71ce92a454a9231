// The Anthropic Messages streaming format: named SSE events (message_start, content_block_start,
// content_block_delta with text_delta / input_json_delta, content_block_stop, message_delta with
// the output token count, message_stop), and `{"type":"error","error":{…}}` bodies.
import { type PromptBlocks, serializeWithoutCacheControl } from "./loopback-prompt-cache.ts";
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
  exact: {
    401: "authentication_error",
    403: "permission_error",
    429: "rate_limit_error",
    529: "overloaded_error",
  },
  server: "api_error",
  client: "invalid_request_error",
};

/** Tools, then system blocks, then each message's content blocks: Anthropic's cache order. */
function promptBlocks(body: unknown): PromptBlocks {
  const b = (body ?? {}) as {
    tools?: unknown[];
    system?: unknown;
    messages?: { role: string; content: unknown }[];
  };
  const blocks: string[] = [];
  const breakpoints: number[] = [];
  const add = (value: unknown) => {
    const { text, marked } = serializeWithoutCacheControl(value);
    if (marked) breakpoints.push(blocks.length);
    blocks.push(text);
  };
  for (const tool of b.tools ?? []) add(tool);
  for (const part of Array.isArray(b.system) ? b.system : b.system ? [b.system] : []) add(part);
  for (const message of b.messages ?? []) {
    const parts = Array.isArray(message.content) ? message.content : [message.content];
    for (const part of parts) add({ role: message.role, part });
  }
  return { blocks, breakpoints };
}

export const anthropicMessagesFormat: LoopbackFormat = {
  basePath: "/v1",
  isStreamPath: (path) => path === "/messages",
  // Claude Sonnet/Opus cache prefixes of 1024+ tokens; the lookup goes back up to 20 blocks.
  cacheRule: { kind: "breakpoints", minTokens: 1024, lookback: 20 },
  promptBlocks,
  renderStream(reply, reported) {
    const usage = reported ?? { inputTokens: 0, outputTokens: 0 };
    const read = usage.cacheReadTokens ?? 0;
    const write = usage.cacheWriteTokens ?? 0;
    const message = {
      id: "msg_loopback",
      type: "message",
      role: "assistant",
      model: "loopback",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // Anthropic's input_tokens are the uncached ones; the cache counts come beside them.
      usage: {
        input_tokens: usage.inputTokens - read - write,
        output_tokens: 1,
        cache_creation_input_tokens: write,
        cache_read_input_tokens: read,
      },
    };
    const events = [sseEvent({ type: "message_start", message }, "message_start")];
    let index = 0;
    const block = (start: unknown, deltas: unknown[]) => {
      events.push(
        sseEvent({ type: "content_block_start", index, content_block: start }, "content_block_start"),
      );
      for (const delta of deltas) {
        events.push(sseEvent({ type: "content_block_delta", index, delta }, "content_block_delta"));
      }
      events.push(sseEvent({ type: "content_block_stop", index }, "content_block_stop"));
      index++;
    };
    if (reply.text && reply.text.length > 0) {
      block(
        { type: "text", text: "" },
        reply.text.map((text) => ({ type: "text_delta", text })),
      );
    }
    for (const [i, call] of (reply.toolCalls ?? []).entries()) {
      block(
        { type: "tool_use", id: call.id ?? `toolu_loopback_${i + 1}`, name: call.name, input: {} },
        call.argsChunks.map((partial_json) => ({ type: "input_json_delta", partial_json })),
      );
    }
    const stopReason = (reply.toolCalls ?? []).length > 0 ? "tool_use" : "end_turn";
    events.push(
      sseEvent(
        {
          type: "message_delta",
          delta: { stop_reason: stopReason, stop_sequence: null },
          usage: { output_tokens: usage.outputTokens },
        },
        "message_delta",
      ),
    );
    events.push(sseEvent({ type: "message_stop" }, "message_stop"));
    return events;
  },
  renderStreamError: (message) =>
    sseEvent({ type: "error", error: { type: "overloaded_error", message } }, "error"),
  renderError(status, message) {
    return { type: "error", error: { type: statusErrorName(status, errorTypes), message } };
  },
};

/** Serves POST /v1/messages on 127.0.0.1; point ANTHROPIC_BASE_URL (or baseURL) at `.baseURL`. */
export function startLoopbackAnthropicServer(replies: LoopbackReply[]): Promise<LoopbackServer> {
  return startLoopbackServer(anthropicMessagesFormat, replies);
}
