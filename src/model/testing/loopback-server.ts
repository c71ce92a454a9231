// A tiny HTTP server on 127.0.0.1 that plays scripted replies in a provider's streaming format,
// so provider code is tested against real HTTP, real SSE framing, real sockets being cut.
// Format files (loopback-openai-server.ts, loopback-anthropic-server.ts, …) only render events.
// Reusable by other modules' tests and benches: start a server through its format file; the
// reply and request types live here.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type CacheRule,
  type CacheUsage,
  type PromptBlocks,
  PromptCacheSimulator,
} from "./loopback-prompt-cache.ts";

/** Token counts as a provider reports them; cache fields are parts of `inputTokens`. */
export interface LoopbackUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
}

export interface LoopbackToolCall {
  id?: string;
  name: string;
  /** The arguments text as the model streams it, piece by piece; joined it may be invalid JSON. */
  argsChunks: string[];
  /** A provider signature for the call (Gemini's thoughtSignature); formats without one ignore it. */
  signature?: string;
}

export type LoopbackReply =
  | {
      type: "stream";
      /** Text deltas, in order. */
      text?: string[];
      toolCalls?: LoopbackToolCall[];
      /**
       * What to report. Left out, the server counts like the real service: the prompt's tokens
       * (≈ chars/4), cached tokens from the prefix it shares with earlier requests (the format's
       * cache rule), and the reply's tokens. "none" sends no usage at all (where a format can).
       */
      usage?: LoopbackUsage | "none";
      /** Destroy the socket after writing this many SSE events (a stream cut mid-way). */
      cutAfterEvents?: number;
      /** Send the format's in-stream "overloaded" error event after this many events, then end. */
      errorAfterEvents?: number;
      /** End the response cleanly after this many events, before the format's finish event. */
      endAfterEvents?: number;
      /** Stop writing after this many events but keep the connection open (a stalled stream). */
      stallAfterEvents?: number;
      /** Pause between events, so they leave in separate TCP writes. */
      eventDelayMs?: number;
    }
  | { type: "error"; status: number; message: string; headers?: Record<string, string> };

export type LoopbackStreamReply = Extract<LoopbackReply, { type: "stream" }>;

export interface LoopbackRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  receivedAt: number;
  /** For a stream request: its prompt tokens and what the simulated prompt cache served. */
  cache?: CacheUsage;
}

export interface LoopbackServer {
  /** Base URL including the format's version path, e.g. http://127.0.0.1:PORT/v1. */
  baseURL: string;
  requests: LoopbackRequest[];
  close(): Promise<void>;
}

/** What a wire format contributes: where it listens and how replies look on the wire. */
export interface LoopbackFormat {
  /** Version prefix of every path, e.g. "/v1"; the server's baseURL ends with it. */
  basePath: string;
  /** Whether a path under basePath is the streaming endpoint, e.g. "/chat/completions". */
  isStreamPath(path: string): boolean;
  /** The SSE events (each a complete `data: …\n\n` block) for a stream reply. */
  renderStream(reply: LoopbackStreamReply, usage: LoopbackUsage | undefined): string[];
  /** How this provider's prompt cache behaves, and the request's prompt in cache order. */
  cacheRule: CacheRule;
  promptBlocks(body: unknown): PromptBlocks;
  /** An in-stream error event saying the server is overloaded (retryable). */
  renderStreamError(message: string): string;
  /** The JSON body of an error response. */
  renderError(status: number, message: string): unknown;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return parseJsonOrText(Buffer.concat(chunks).toString("utf8"));
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

async function playStream(
  res: ServerResponse,
  format: LoopbackFormat,
  reply: LoopbackStreamReply,
  usage: LoopbackUsage | undefined,
) {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const events = format.renderStream(reply, usage);
  for (const [i, event] of events.entries()) {
    if (reply.cutAfterEvents === i) {
      await wait(20); // let the written events reach the client before the cut
      res.socket?.destroy();
      return;
    }
    if (reply.errorAfterEvents === i) {
      res.end(format.renderStreamError("loopback: overloaded"));
      return;
    }
    if (reply.endAfterEvents === i) break;
    if (reply.stallAfterEvents === i) return; // hold the socket open; close() ends it
    res.write(event);
    if (reply.eventDelayMs) await wait(reply.eventDelayMs);
  }
  res.end();
}

export async function startLoopbackServer(
  format: LoopbackFormat,
  replies: LoopbackReply[],
): Promise<LoopbackServer> {
  const queue = [...replies];
  const requests: LoopbackRequest[] = [];
  const cache = new PromptCacheSimulator(format.cacheRule);
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const path = new URL(req.url ?? "/", "http://loopback").pathname;
    const request: LoopbackRequest = {
      method: req.method ?? "",
      path,
      headers: req.headers,
      body,
      receivedAt: Date.now(),
    };
    requests.push(request);
    const underBase = path.startsWith(format.basePath) ? path.slice(format.basePath.length) : undefined;
    if (req.method !== "POST" || underBase === undefined || !format.isStreamPath(underBase)) {
      sendJson(res, 404, format.renderError(404, `loopback server: nothing at ${req.method} ${path}`));
      return;
    }
    const reply = queue.shift();
    if (!reply) {
      sendJson(res, 500, format.renderError(500, "loopback server: no scripted reply left"));
      return;
    }
    if (reply.type === "error") {
      sendJson(res, reply.status, format.renderError(reply.status, reply.message), reply.headers);
      return;
    }
    request.cache = cache.account(format.promptBlocks(body));
    await playStream(res, format, reply, resolveUsage(reply, request.cache));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}${format.basePath}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function resolveUsage(reply: LoopbackStreamReply, cache: CacheUsage): LoopbackUsage | undefined {
  if (reply.usage === "none") return undefined;
  if (reply.usage) return reply.usage;
  const output =
    (reply.text ?? []).join("") + (reply.toolCalls ?? []).map((c) => c.name + c.argsChunks.join("")).join("");
  return { ...cache, outputTokens: Math.ceil(output.length / 4) };
}

/** One SSE block; `event:` only for formats that name their events (Anthropic). */
export function sseEvent(data: unknown, event?: string): string {
  const payload = typeof data === "string" ? data : JSON.stringify(data);
  return `${event ? `event: ${event}\n` : ""}data: ${payload}\n\n`;
}

/** The parsed value of JSON text, or the text itself when it is not valid JSON. */
export function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** How a format names the error behind an HTTP status: some exact codes, then a 5xx and a 4xx catch-all. */
export interface StatusErrorNames {
  exact: Record<number, string>;
  server: string;
  client: string;
}

export function statusErrorName(status: number, names: StatusErrorNames): string {
  return names.exact[status] ?? (status >= 500 ? names.server : names.client);
}
