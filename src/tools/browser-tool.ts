// `browser`: a real headless Chromium looking at a page served inside the sandbox. The
// sandbox port is bridged to the host with `exposePort` (the local backend has its own
// network namespace), and the observation lists exceptions with workspace file:line, console
// errors, failed requests and a compact page summary. One browser per sandbox, reused across
// steps; `closeBrowser` (or a long idle spell) shuts it.
import { z } from "zod";
import type { Sandbox } from "../sandbox/index.ts";
import {
  type BrowserObservation,
  type BrowserProbe,
  type BrowserTarget,
  createBrowserProbe,
  formatBrowserObservation,
} from "../signals/index.ts";
import { defineTool, errorResult } from "./define-tool.ts";
import { latestServerPort } from "./server-tool.ts";
import type { Tool, ToolResult } from "./types.ts";

interface Bridge {
  host: string;
  port: number;
  close(): Promise<void>;
}

interface BrowserSession {
  probe: BrowserProbe;
  bridges: Map<number, Bridge>;
  /** Sandbox port of the page now open, for showing sandbox-side URLs. */
  port?: number;
  hostOrigin?: string;
  idle?: NodeJS.Timeout;
}

const sessions = new WeakMap<Sandbox, Promise<BrowserSession>>();
const idleCloseMs = 10 * 60_000;
// Where a dev server usually serves a URL path from, relative to the workspace.
const servedDirs = ["", "public/", "static/", "dist/", "build/", "www/", "src/", "app/"];
const loopbackHosts = new Set(["localhost", "127.0.0.1", "0.0.0.0", "[::1]", "[::]"]);

/** Closes this sandbox's browser and port bridges. Safe to call when none is open. */
export async function closeBrowser(sandbox: Sandbox): Promise<void> {
  const pending = sessions.get(sandbox);
  sessions.delete(sandbox);
  const session = await pending?.catch(() => undefined);
  if (!session) return;
  clearTimeout(session.idle);
  await session.probe.dispose();
  for (const bridge of session.bridges.values()) await bridge.close().catch(() => {});
}

export const browserTool: Tool = defineTool({
  name: "browser",
  description:
    "Look at a web page served inside the sandbox with a real headless Chromium. goto opens `url` " +
    "(http://localhost:PORT/...) or `path` on `port` (default: the port of the server started with the " +
    "server tool); click and type act on an element by CSS `selector` or by ARIA `role` + `name`; " +
    "snapshot re-reads the page; screenshot saves a PNG. Each result lists uncaught exceptions (file:line), " +
    "console errors and failed requests since the previous call, then headings, buttons, links, inputs " +
    "and visible text. Pages reach only their own origin; nothing else is on the network.",
  schema: z.strictObject({
    action: z.enum(["goto", "click", "type", "snapshot", "screenshot"]),
    url: z
      .string()
      .optional()
      .describe("goto: a loopback URL inside the sandbox, e.g. http://localhost:3000/login."),
    path: z
      .string()
      .optional()
      .describe("goto: the URL path when giving `port` instead of `url` (default /)."),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe("goto: the sandbox port the page is served on."),
    selector: z
      .string()
      .optional()
      .describe("click/type: a CSS or Playwright selector, e.g. #submit or text=Save."),
    role: z
      .string()
      .optional()
      .describe("click/type: an ARIA role (button, link, textbox …) instead of a selector."),
    name: z.string().optional().describe("click/type: the accessible name that goes with `role`."),
    text: z.string().optional().describe("type: the text to fill in (replaces the field's value)."),
  }),
  async run(args, context) {
    const { sandbox } = context;
    let target: BrowserTarget | undefined;
    if (args.selector) target = { selector: args.selector };
    else if (args.role) target = args.name ? { role: args.role, name: args.name } : { role: args.role };
    switch (args.action) {
      case "goto": {
        const where = resolveTarget(args.url, args.path, args.port, latestServerPort(sandbox));
        if (typeof where === "string") return errorResult(where);
        let session: BrowserSession;
        try {
          session = await openSession(sandbox);
        } catch (error) {
          // Chromium missing or failing to start: the model should hear it and carry on.
          return errorResult(`the browser could not start: ${(error as Error).message.split("\n")[0]}`);
        }
        let bridge = session.bridges.get(where.port);
        if (!bridge) {
          try {
            bridge = await sandbox.exposePort(where.port);
          } catch (error) {
            return errorResult(
              `could not reach port ${where.port} in the sandbox: ${(error as Error).message}`,
            );
          }
          session.bridges.set(where.port, bridge);
        }
        session.port = where.port;
        session.hostOrigin = `http://${bridge.host.includes(":") ? `[${bridge.host}]` : bridge.host}:${bridge.port}`;
        return render(session, await session.probe.goto(`${session.hostOrigin}${where.path}`));
      }
      case "click":
      case "type": {
        if (!target) return errorResult(`${args.action} needs \`selector\`, or \`role\` (and \`name\`)`);
        if (args.action === "type" && args.text === undefined) return errorResult("type needs `text`");
        const session = await existingSession(sandbox);
        if (!session) return errorResult("no page is open; use {action: 'goto', port: …} first");
        const observation =
          args.action === "click"
            ? await session.probe.click(target)
            : await session.probe.type(target, args.text ?? "");
        return render(session, observation);
      }
      case "snapshot":
      case "screenshot": {
        const session = await existingSession(sandbox);
        if (!session) return errorResult("no page is open; use {action: 'goto', port: …} first");
        const probe = session.probe;
        return render(
          session,
          args.action === "snapshot" ? await probe.snapshot() : await probe.screenshot(),
        );
      }
    }
  },
});

/** Where to go inside the sandbox, or what to tell the model when it cannot be worked out. */
export function resolveTarget(
  url: string | undefined,
  path: string | undefined,
  port: number | undefined,
  serverPort: number | undefined,
): { port: number; path: string } | string {
  if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(/^[a-z]+:\/\//i.test(url) ? url : `http://${url}`);
    } catch {
      return `not a URL: ${url}`;
    }
    if (parsed.protocol !== "http:" || !loopbackHosts.has(parsed.hostname))
      return `the browser only opens pages served inside the sandbox (http://localhost:PORT/...), not ${url}`;
    return { port: Number(parsed.port || 80), path: `${parsed.pathname}${parsed.search}${parsed.hash}` };
  }
  const chosen = port ?? serverPort;
  if (chosen === undefined)
    return "goto needs `url` or `port`; start the app first with the server tool ({action: 'start', command, port})";
  const p = path ?? "/";
  return { port: chosen, path: p.startsWith("/") ? p : `/${p}` };
}

function openSession(sandbox: Sandbox): Promise<BrowserSession> {
  let pending = sessions.get(sandbox);
  if (!pending) {
    pending = createSession(sandbox);
    sessions.set(sandbox, pending);
    pending.catch(() => sessions.delete(sandbox));
  }
  return pending.then((session) => touch(sandbox, session));
}

async function existingSession(sandbox: Sandbox): Promise<BrowserSession | undefined> {
  const session = await sessions.get(sandbox)?.catch(() => undefined);
  return session?.hostOrigin ? touch(sandbox, session) : undefined;
}

async function createSession(sandbox: Sandbox): Promise<BrowserSession> {
  const session: BrowserSession = {
    bridges: new Map(),
    probe: await createBrowserProbe({ mapSource: (url) => findServedFile(sandbox, url) }),
  };
  return session;
}

// A browser left open by a run that never called closeBrowser must not live forever.
function touch(sandbox: Sandbox, session: BrowserSession): BrowserSession {
  clearTimeout(session.idle);
  session.idle = setTimeout(() => void closeBrowser(sandbox), idleCloseMs);
  session.idle.unref();
  return session;
}

async function findServedFile(sandbox: Sandbox, url: URL): Promise<string | undefined> {
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname).replace(/^\/+/, "");
  } catch {
    return undefined;
  }
  if (rel === "" || rel.endsWith("/")) rel = `${rel}index.html`;
  if (rel.split("/").includes("..")) return undefined;
  for (const dir of servedDirs) {
    const candidate = `${dir}${rel}`;
    try {
      await sandbox.readFile(candidate);
      return candidate;
    } catch {
      // not served from this directory; try the next
    }
  }
  return undefined;
}

function render(session: BrowserSession, observation: BrowserObservation): ToolResult {
  // Show the sandbox's own address, not the host bridge the browser went through.
  const sandboxOrigin = `http://localhost:${session.port}`;
  const shown: BrowserObservation = {
    ...observation,
    url: session.hostOrigin ? observation.url.replace(session.hostOrigin, sandboxOrigin) : observation.url,
  };
  const failed = observation.actionError !== undefined;
  let content = formatBrowserObservation(shown);
  if (session.hostOrigin) content = content.replaceAll(session.hostOrigin, sandboxOrigin);
  // Through a port bridge, "nothing listening" arrives as an empty response, not a refusal.
  if (
    /ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET|ERR_SOCKET_NOT_CONNECTED|ERR_CONNECTION_CLOSED/.test(
      observation.actionError ?? "",
    )
  )
    content += `\nnothing listens on port ${session.port} inside the sandbox: start the app with the server tool ({action: 'start', command, port}) and check its logs`;
  return {
    content,
    isError: failed,
    data: {
      url: shown.url,
      status: observation.status,
      findings: observation.findings,
      blocked: observation.blocked,
      screenshotPath: observation.screenshotPath,
      page: observation.page,
    },
  };
}
