// The dashboard's HTTP side over the run store: the page and its static files (shipped in
// the package, nothing from a CDN), JSON for the list and for one run, and Server-Sent
// Events that tail a run's events.jsonl live (id = line number, so Last-Event-ID resumes)
// and push the list again whenever the runs folder changes.
import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type LoopEvent, summarizeRun } from "../loop/index.ts";
import { RunStore } from "../store/index.ts";
import { tailEventLog } from "./event-tail.ts";

export interface DashboardOptions {
  runsDir: string;
  /** How often the list stream looks for new or changed runs. */
  listPollMs?: number;
}

export type DashboardHandler = ((req: IncomingMessage, res: ServerResponse) => void) & { close(): void };

// Through ../web/ so the same path holds here and from a bundled chunk in dist/cli/.
const staticDir = fileURLToPath(new URL("../web/static/", import.meta.url));
const staticFiles: Record<string, string> = {
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
  "favicon.svg": "image/svg+xml",
};
const securityHeaders = {
  "x-content-type-options": "nosniff",
  "content-security-policy":
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
  "referrer-policy": "no-referrer",
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", ...securityHeaders });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(value));
}

function openSse(
  req: IncomingMessage,
  res: ServerResponse,
  onClose: () => void,
): (event: string, data: string, id?: number) => void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    connection: "keep-alive",
    ...securityHeaders,
  });
  res.write("retry: 1000\n\n");
  const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), 15_000);
  keepAlive.unref();
  req.on("close", () => {
    clearInterval(keepAlive);
    onClose();
  });
  return (event, data, id) => {
    res.write(`${id !== undefined ? `id: ${id}\n` : ""}event: ${event}\ndata: ${data}\n\n`);
  };
}

export function createDashboardHandler(options: DashboardOptions): DashboardHandler {
  const store = new RunStore(options.runsDir);
  const closers = new Set<() => void>();

  const listRuns = () =>
    store.list().map((entry) => {
      try {
        const { events } = store.readEvents<LoopEvent>(entry.id);
        return summarizeRun(entry.id, events).summary;
      } catch {
        return { id: entry.id, task: entry.task ?? "", status: "unreadable" };
      }
    });

  const runDetail = (id: string) => {
    const { events, tornTail } = store.readEvents<LoopEvent>(id);
    const report = store.readResult(id, "report.json");
    let parsed: unknown;
    try {
      parsed = report ? JSON.parse(report) : undefined;
    } catch {
      parsed = undefined;
    }
    return {
      ...summarizeRun(id, events),
      tornTail,
      report: parsed,
      patch: store.readResult(id, "patch.diff"),
    };
  };

  const handler = ((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    if (req.method !== "GET" && req.method !== "HEAD")
      return send(res, 405, "text/plain", "method not allowed\n");
    if (path === "/" || /^\/runs\/[A-Za-z0-9._-]+\/?$/.test(path))
      return send(res, 200, "text/html; charset=utf-8", readFileSync(join(staticDir, "index.html")));
    const asset = /^\/static\/([a-z0-9.-]+)$/.exec(path)?.[1];
    if (asset && staticFiles[asset] && existsSync(join(staticDir, asset)))
      return send(res, 200, staticFiles[asset], readFileSync(join(staticDir, asset)));
    if (path === "/favicon.ico")
      return send(res, 200, staticFiles["favicon.svg"]!, readFileSync(join(staticDir, "favicon.svg")));
    if (path === "/api/runs") return sendJson(res, 200, { runsDir: store.root, runs: listRuns() });
    if (path === "/api/runs/live") {
      let last = "";
      const push = () => {
        const text = JSON.stringify(listRuns());
        if (text !== last) emit("runs", text);
        last = text;
      };
      const timer = setInterval(push, options.listPollMs ?? 500);
      const close = () => clearInterval(timer);
      closers.add(close);
      const emit = openSse(req, res, () => {
        close();
        closers.delete(close);
      });
      push();
      return;
    }
    const match = /^\/api\/runs\/([A-Za-z0-9._-]+)(\/events)?$/.exec(path);
    if (match) {
      const id = match[1]!;
      try {
        store.runDir(id);
        if (!existsSync(join(store.runDir(id), "events.jsonl")))
          return sendJson(res, 404, { error: `no run '${id}'` });
      } catch {
        return sendJson(res, 404, { error: `no run '${id}'` });
      }
      if (!match[2]) return sendJson(res, 200, runDetail(id));
      const header = req.headers["last-event-id"];
      const after = Number(
        url.searchParams.get("after") ?? (Array.isArray(header) ? header[0] : header) ?? 0,
      );
      let tail: { close(): void } | undefined;
      const close = () => tail?.close();
      closers.add(close);
      const emit = openSse(req, res, () => {
        close();
        closers.delete(close);
      });
      tail = tailEventLog(join(store.runDir(id), "events.jsonl"), {
        afterLine: Number.isInteger(after) && after > 0 ? after : 0,
        onLines: (lines) => {
          for (const { line, text } of lines) {
            // A line that is not JSON (corruption) is reported, not passed on as an event.
            try {
              JSON.parse(text);
              emit("event", text, line);
            } catch {
              emit("bad-line", JSON.stringify({ line }), line);
            }
          }
        },
      });
      return;
    }
    send(res, 404, "text/plain; charset=utf-8", "not found\n");
  }) as DashboardHandler;
  handler.close = () => {
    for (const close of closers) close();
    closers.clear();
  };
  return handler;
}
