// The Gemini (Generative Language API) streaming format: POST
// /v1beta/models/<model>:streamGenerateContent?alt=sse answering `data: {candidates…}` chunks.
// Gemini sends each function call whole, with `args` as an object; arguments that do not parse
// are sent as a string, which the SDK passes through as raw text (our malformed-JSON case).
import {
  type LoopbackFormat,
  type LoopbackReply,
  type LoopbackServer,
  sseEvent,
  startLoopbackServer,
} from "./loopback-server.ts";

export type {
  LoopbackReply,
  LoopbackRequest,
  LoopbackServer,
  LoopbackStreamReply,
  LoopbackToolCall,
} from "./loopback-server.ts";

function statusName(status: number): string {
  if (status === 401) return "UNAUTHENTICATED";
  if (status === 403) return "PERMISSION_DENIED";
  if (status === 429) return "RESOURCE_EXHAUSTED";
  if (status === 503) return "UNAVAILABLE";
  if (status >= 500) return "INTERNAL";
  return "INVALID_ARGUMENT";
}

function argsValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export const googleGenerativeFormat: LoopbackFormat = {
  basePath: "/v1beta",
  isStreamPath: (path) => /^\/models\/[^/]+:streamGenerateContent$/.test(path),
  renderStream(reply) {
    const candidate = (parts: unknown[], finishReason?: string) => ({
      candidates: [
        { content: { role: "model", parts }, index: 0, ...(finishReason ? { finishReason } : {}) },
      ],
      modelVersion: "loopback",
    });
    const events = (reply.text ?? []).map((text) => sseEvent(candidate([{ text }])));
    for (const [i, call] of (reply.toolCalls ?? []).entries()) {
      const functionCall = {
        id: call.id ?? `fc_loopback_${i + 1}`,
        name: call.name,
        args: argsValue(call.argsChunks.join("")),
      };
      const signature = call.signature ? { thoughtSignature: call.signature } : {};
      events.push(sseEvent(candidate([{ functionCall, ...signature }])));
    }
    const usage = reply.usage ?? { inputTokens: 0, outputTokens: 0 };
    const usageMetadata = {
      promptTokenCount: usage.inputTokens,
      candidatesTokenCount: usage.outputTokens,
      totalTokenCount: usage.inputTokens + usage.outputTokens,
    };
    events.push(sseEvent({ ...candidate([{ text: "" }], "STOP"), usageMetadata }));
    return events;
  },
  renderStreamError: (message) => sseEvent({ error: { code: 503, message, status: "UNAVAILABLE" } }),
  renderError(status, message) {
    return { error: { code: status, message, status: statusName(status) } };
  },
};

/** Serves POST /v1beta/models/*:streamGenerateContent on 127.0.0.1; use `.baseURL` as the base URL. */
export function startLoopbackGoogleServer(replies: LoopbackReply[]): Promise<LoopbackServer> {
  return startLoopbackServer(googleGenerativeFormat, replies);
}
