// The OpenAI Responses API streaming format (POST /v1/responses), the only one the codex models
// speak: named SSE events — response.created, response.output_item.added / .done for each
// message and function_call item, response.output_text.delta, response.function_call_arguments
// .delta, and response.completed carrying usage with input_tokens_details.cached_tokens.
import { openaiCacheRule, openaiErrorBody } from "./loopback-openai-server.ts";
import type { PromptBlocks } from "./loopback-prompt-cache.ts";
import {
  type LoopbackFormat,
  type LoopbackReply,
  type LoopbackServer,
  sseEvent,
  startLoopbackServer,
} from "./loopback-server.ts";

/** Tools, instructions, then each input item: the order the prompt reaches the model in. */
function promptBlocks(body: unknown): PromptBlocks {
  const b = (body ?? {}) as { tools?: unknown[]; instructions?: unknown; input?: unknown[] };
  const parts = [...(b.tools ?? []), b.instructions, ...(b.input ?? [])].filter((x) => x !== undefined);
  return { blocks: parts.map((x) => JSON.stringify(x)), breakpoints: [] };
}

export const openaiResponsesFormat: LoopbackFormat = {
  basePath: "/v1",
  isStreamPath: (path) => path === "/responses",
  cacheRule: openaiCacheRule,
  promptBlocks,
  renderStream(reply, reported) {
    let sequence = 0;
    const event = (data: Record<string, unknown>) =>
      sseEvent({ ...data, sequence_number: sequence++ }, data.type as string);
    const response = {
      id: "resp_loopback",
      object: "response",
      created_at: 1_700_000_000,
      model: "loopback",
    };
    const events = [event({ type: "response.created", response: { ...response, status: "in_progress" } })];
    let index = 0;
    if (reply.text && reply.text.length > 0) {
      const id = "msg_loopback";
      const item = { type: "message", id, role: "assistant", status: "in_progress", content: [] };
      events.push(event({ type: "response.output_item.added", output_index: index, item }));
      for (const delta of reply.text)
        events.push(
          event({
            type: "response.output_text.delta",
            item_id: id,
            output_index: index,
            content_index: 0,
            delta,
          }),
        );
      const content = [{ type: "output_text", text: reply.text.join(""), annotations: [] }];
      events.push(
        event({
          type: "response.output_item.done",
          output_index: index,
          item: { ...item, status: "completed", content },
        }),
      );
      index++;
    }
    for (const [i, call] of (reply.toolCalls ?? []).entries()) {
      const item = {
        type: "function_call",
        id: `fc_loopback_${i + 1}`,
        call_id: call.id ?? `call_loopback_${i + 1}`,
        name: call.name,
        arguments: "",
        status: "in_progress",
      };
      events.push(event({ type: "response.output_item.added", output_index: index, item }));
      for (const delta of call.argsChunks)
        events.push(
          event({
            type: "response.function_call_arguments.delta",
            item_id: item.id,
            output_index: index,
            delta,
          }),
        );
      const done = { ...item, arguments: call.argsChunks.join(""), status: "completed" };
      events.push(event({ type: "response.output_item.done", output_index: index, item: done }));
      index++;
    }
    const usage = reported && {
      input_tokens: reported.inputTokens,
      input_tokens_details: { cached_tokens: reported.cacheReadTokens ?? 0 },
      output_tokens: reported.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: reported.inputTokens + reported.outputTokens,
    };
    events.push(
      event({
        type: "response.completed",
        response: { ...response, status: "completed", incomplete_details: null, ...(usage ? { usage } : {}) },
      }),
    );
    return events;
  },
  renderStreamError: (message) =>
    sseEvent({ type: "error", sequence_number: 0, code: "server_error", message, param: null }, "error"),
  renderError: openaiErrorBody,
};

/** Serves POST /v1/responses on 127.0.0.1; point OPENAI_BASE_URL (or baseURL) at `.baseURL`. */
export function startLoopbackOpenAIResponsesServer(replies: LoopbackReply[]): Promise<LoopbackServer> {
  return startLoopbackServer(openaiResponsesFormat, replies);
}
