// MCP's Streamable HTTP transport at one path, with sessions: each `initialize` gets its own
// server instance and Mcp-Session-Id, later requests are routed by that header, and a session
// that ends (DELETE, or silent for `sessionIdleMs`) loses its sandboxes. Host, Origin and
// token checks happen in front of this handler (see web/request-guard.ts).
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { NodeStreamableHTTPServerTransport } from "@modelcontextprotocol/node";
import { isInitializeRequest } from "@modelcontextprotocol/server";
import { createMcpServer, type McpServerConfig } from "./create-mcp-server.ts";

export interface McpHttpOptions {
  /** A session with no request for this long is closed (default: the sandbox idle time-out). */
  sessionIdleMs?: number;
  /** Largest request body accepted (default 16 MiB: patches and files travel in it). */
  maxBodyBytes?: number;
}

export interface McpHttpHandler {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  sessionCount(): number;
  close(): Promise<void>;
}

interface Session {
  transport: NodeStreamableHTTPServerTransport;
  lastSeen: number;
  /** Requests (and GET streams) still open: an open stream is not idleness. */
  open: number;
}

function sendJsonError(res: ServerResponse, status: number, code: number, message: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code, message }, id: null }));
}

async function readBody(req: IncomingMessage, max: number): Promise<string | "too-large"> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return "too-large";
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function createMcpHttpHandler(config: McpServerConfig, options: McpHttpOptions = {}): McpHttpHandler {
  const sessions = new Map<string, Session>();
  const idleMs = options.sessionIdleMs ?? config.registry.idleMs;
  const maxBody = options.maxBodyBytes ?? 16 * 1024 * 1024;

  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const session of sessions.values())
        if (session.open === 0 && now - session.lastSeen > idleMs) void session.transport.close();
    },
    Math.max(1000, Math.min(idleMs / 4, 60_000)),
  );
  sweep.unref();

  async function openSession(): Promise<NodeStreamableHTTPServerTransport> {
    const { server, session } = createMcpServer(config, `pending-${randomUUID()}`);
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        session.owner = id;
        sessions.set(id, { transport, lastSeen: Date.now(), open: 0 });
      },
    });
    await server.connect(transport);
    server.server.onclose = () => {
      const id = transport.sessionId;
      if (!id) return;
      sessions.delete(id);
      void config.registry.disposeOwner(id).catch(() => {});
    };
    return transport;
  }

  return {
    async handle(req, res) {
      const header = req.headers["mcp-session-id"];
      const sessionId = Array.isArray(header) ? header[0] : header;
      let body: unknown;
      if (req.method === "POST") {
        const text = await readBody(req, maxBody);
        if (text === "too-large")
          return sendJsonError(res, 413, -32600, `request body over ${maxBody} bytes`);
        try {
          body = JSON.parse(text);
        } catch {
          return sendJsonError(res, 400, -32700, "Parse error: the request body is not JSON");
        }
      }
      const existing = sessionId ? sessions.get(sessionId) : undefined;
      if (existing) {
        existing.open++;
        existing.lastSeen = Date.now();
        res.on("close", () => {
          existing.open--;
          existing.lastSeen = Date.now();
        });
        await existing.transport.handleRequest(req, res, body);
        return;
      }
      if (sessionId) return sendJsonError(res, 404, -32001, "Session not found: initialize a new session");
      if (req.method === "POST" && isInitializeRequest(body)) {
        const transport = await openSession();
        await transport.handleRequest(req, res, body);
        return;
      }
      sendJsonError(res, 400, -32000, "Bad Request: no Mcp-Session-Id header (send initialize first)");
    },
    sessionCount: () => sessions.size,
    async close() {
      clearInterval(sweep);
      await Promise.all([...sessions.values()].map((s) => s.transport.close()));
    },
  };
}
