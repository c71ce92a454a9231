// The Gemini (Generative Language API) streaming format: POST
// /v1beta/models/<model>:streamGenerateContent?alt=sse answering `data: {candidates…}` chunks.
// Gemini sends each function call whole, with `args` as an object; arguments that do not parse
// are sent as a string, which the SDK passes through as raw text (our malformed-JSON case).
import type { PromptBlocks } from "./loopback-prompt-cache.ts";
import {
  type LoopbackFormat,
  type LoopbackReply,
  type LoopbackServer,
  parseJsonOrText,
  type StatusErrorNames,
  sseEvent,
  startLoopbackServer,
  statusErrorName,
} from "./loopback-server.ts";

const statusNames: StatusErrorNames = {
  exact: { 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE" },
  server: "INTERNAL",
  client: "INVALID_ARGUMENT",
};

/** System instruction, tools, then each content: Gemini's prompt order. */
function promptBlocks(body: unknown): PromptBlocks {
  const b = (body ?? {}) as { systemInstruction?: unknown; tools?: unknown[]; contents?: unknown[] };
  const parts = [b.systemInstruction, ...(b.tools ?? []), ...(b.contents ?? [])].filter(
    (x) => x !== undefined,
  );
  return { blocks: parts.map((x) => JSON.stringify(x)), breakpoints: [] };
}

export const googleGenerativeFormat: LoopbackFormat = {
  basePath: "/v1beta",
  isStreamPath: (path) => /^\/models\/[^/]+:streamGenerateContent$/.test(path),
  // Implicit caching: Gemini 2.5 serves a shared prefix of 1024+ tokens (Flash) from its cache.
  cacheRule: { kind: "automatic", minTokens: 1024, granularity: 1 },
  promptBlocks,
  renderStream(reply, reported) {
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
        args: parseJsonOrText(call.argsChunks.join("")),
      };
      const signature = call.signature ? { thoughtSignature: call.signature } : {};
      events.push(sseEvent(candidate([{ functionCall, ...signature }])));
    }
    const usage = reported ?? { inputTokens: 0, outputTokens: 0 };
    const usageMetadata = {
      promptTokenCount: usage.inputTokens,
      candidatesTokenCount: usage.outputTokens,
      totalTokenCount: usage.inputTokens + usage.outputTokens,
      ...(usage.cacheReadTokens ? { cachedContentTokenCount: usage.cacheReadTokens } : {}),
    };
    events.push(sseEvent({ ...candidate([{ text: "" }], "STOP"), usageMetadata }));
    return events;
  },
  renderStreamError: (message) => sseEvent({ error: { code: 503, message, status: "UNAVAILABLE" } }),
  renderError(status, message) {
    return { error: { code: status, message, status: statusErrorName(status, statusNames) } };
  },
};

/** Serves POST /v1beta/models/*:streamGenerateContent on 127.0.0.1; use `.baseURL` as the base URL. */
export function startLoopbackGoogleServer(replies: LoopbackReply[]): Promise<LoopbackServer> {
  return startLoopbackServer(googleGenerativeFormat, replies);
}
