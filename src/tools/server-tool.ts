// `server`: start a long-running dev server inside the sandbox, wait for its port, and report
// what its logs say went wrong since the previous call (crash stacks with file:line, error
// lines, 5xx requests, a non-zero exit). The `shell` tool cannot do this: its commands must end.
import { z } from "zod";
import type { BackgroundProcess, Sandbox } from "../sandbox/index.ts";
import { createServerLogWatcher, type ServerLogDelta, type ServerLogWatcher } from "../signals/index.ts";
import { raceTimeout } from "../util/index.ts";
import { defineTool, errorResult } from "./define-tool.ts";
import { formatDuration } from "./format-text.ts";
import type { Tool, ToolResult } from "./types.ts";

interface RunningServer {
  process: BackgroundProcess;
  watcher: ServerLogWatcher;
  command: string;
  /** Workspace paths (host and sandbox side) shortened away in the log. */
  roots: string[];
  port?: number;
  startedAt: number;
}

const servers = new WeakMap<Sandbox, RunningServer[]>();
const shownLogLines = 30;
const shownLogLinesWithFindings = 10;
const defaultWaitMs = 30_000;
// Without a port to wait for, give a server this long to crash before reporting it as up.
const settleWithoutPortMs = 1_500;

/** The port of the newest server started in this sandbox, so `browser` can default to it. */
export function latestServerPort(sandbox: Sandbox): number | undefined {
  return (servers.get(sandbox) ?? []).findLast((s) => s.port !== undefined && s.process.isRunning())?.port;
}

/** Stops every server the tool started in this sandbox (the sandbox's dispose does too). */
export async function stopServers(sandbox: Sandbox): Promise<void> {
  for (const server of servers.get(sandbox) ?? []) {
    server.watcher.expectExit();
    await server.process.kill();
    server.watcher.close();
  }
  servers.delete(sandbox);
}

export const serverTool: Tool = defineTool({
  name: "server",
  description:
    "Run a long-lived dev server in the sandbox. start: launch `command` in the background and, when " +
    "`port` is given, wait until it accepts connections; logs: what the server logged since the last " +
    "call, with crashes and error lines as findings (file:line); stop: stop it. Use the browser tool " +
    "to look at its pages.",
  schema: z.strictObject({
    action: z.enum(["start", "logs", "stop"]),
    command: z.string().min(1).optional().describe("start: the command line, e.g. `npm run dev`."),
    port: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .optional()
      .describe(
        "start: the port it listens on (inside the sandbox); logs/stop: which server (default: all).",
      ),
    timeoutMs: z
      .number()
      .int()
      .positive()
      .max(600_000)
      .optional()
      .describe("start: how long to wait for the port."),
  }),
  async run({ action, command, port, timeoutMs }, context) {
    const list = servers.get(context.sandbox) ?? [];
    servers.set(context.sandbox, list);
    const chosen = port === undefined ? list : list.filter((s) => s.port === port);
    switch (action) {
      case "start": {
        if (!command)
          return errorResult(
            "server start needs `command`, e.g. {action: 'start', command: 'npm run dev', port: 3000}",
          );
        const clash = list.find((s) => port !== undefined && s.port === port && s.process.isRunning());
        if (clash)
          return errorResult(
            `a server started with \`${clash.command}\` already uses port ${port}; stop it first ({action: 'stop', port: ${port}}) or read its logs`,
          );
        return start(context.sandbox, list, command, port, timeoutMs ?? defaultWaitMs);
      }
      case "logs": {
        if (chosen.length === 0) return errorResult(noServer(port));
        const parts = chosen.map((s) => report(s, s.watcher.drain(), "logs"));
        forgetExited(list);
        return combine(parts);
      }
      case "stop": {
        if (chosen.length === 0) return errorResult(noServer(port));
        const parts: ToolResult[] = [];
        for (const server of chosen) {
          server.watcher.expectExit();
          await server.process.kill();
          await server.watcher.exitReported;
          parts.push(report(server, server.watcher.drain(), "stopped"));
          server.watcher.close();
          list.splice(list.indexOf(server), 1);
        }
        return combine(parts);
      }
    }
  },
});

async function start(
  sandbox: Sandbox,
  list: RunningServer[],
  command: string,
  port: number | undefined,
  waitMs: number,
): Promise<ToolResult> {
  const roots = [sandbox.info.workspace, await workspaceInside(sandbox)];
  let process: BackgroundProcess;
  try {
    process = await sandbox.start(command);
  } catch (error) {
    return errorResult(`could not start \`${command}\`: ${(error as Error).message}`);
  }
  const watcher = createServerLogWatcher(process, { root: roots });
  const server: RunningServer = { process, watcher, command, roots, startedAt: Date.now() };
  if (port !== undefined) server.port = port;
  list.push(server);
  // Whichever comes first: the port opens, the process dies, or we give up waiting.
  const exited = process.exited.then(() => "exited" as const);
  let outcome =
    port === undefined
      ? await raceTimeout(exited, settleWithoutPortMs, "settled" as const)
      : await Promise.race([
          exited,
          process.waitForPort(port, waitMs).then(
            () => "listening" as const,
            () => "timeout" as const,
          ),
        ]);
  if (!process.isRunning()) {
    outcome = "exited";
    await watcher.exitReported;
  }
  const delta = watcher.drain();
  if (outcome === "exited") {
    watcher.close();
    list.splice(list.indexOf(server), 1);
  }
  const result = report(
    server,
    delta,
    outcome === "timeout" ? `port ${port} not open after ${formatDuration(waitMs)}` : outcome,
  );
  return { ...result, isError: outcome === "exited" || outcome === "timeout" };
}

const insideRoots = new WeakMap<Sandbox, string>();

// A backend may run the workspace at another path (the process backend works on a copy);
// stack traces print that path, so learn it once to report files relative to the workspace.
async function workspaceInside(sandbox: Sandbox): Promise<string> {
  const known = insideRoots.get(sandbox);
  if (known) return known;
  const result = await sandbox
    .exec("pwd -P", { cwd: sandbox.info.workspace, timeoutMs: 10_000 })
    .catch(() => undefined);
  const path = result?.exitCode === 0 ? result.stdout.trim() : sandbox.info.workspace;
  insideRoots.set(sandbox, path);
  return path;
}

function report(server: RunningServer, delta: ServerLogDelta, state: string): ToolResult {
  const lines: string[] = [];
  const where = server.port !== undefined ? ` on port ${server.port}` : "";
  const status = delta.exit
    ? delta.exit.expected
      ? "stopped"
      : `exited (${delta.exit.exitCode !== null ? `exit code ${delta.exit.exitCode}` : `signal ${delta.exit.signal}`})`
    : state === "listening"
      ? `listening${where}`
      : state === "settled" || state === "logs"
        ? `running${where}`
        : state;
  lines.push(
    `server \`${server.command}\` — ${status} · up ${formatDuration(Date.now() - server.startedAt)}`,
  );
  const { findings } = delta;
  if (findings.length === 0) lines.push("no errors in the log since the last call");
  else {
    lines.push(`${findings.length + delta.droppedFindings} error(s) in the log:`);
    findings.forEach((f, i) => {
      const at = f.file ? `${f.file}${f.line ? `:${f.line}` : ""}${f.column ? `:${f.column}` : ""} ` : "";
      lines.push(`  ${at}${f.message}`);
      // The first few stacks help; after that the locations say enough.
      if (i < 3 && f.excerpt && f.excerpt !== f.message) lines.push(indent(f.excerpt, "      "));
    });
    if (delta.droppedFindings > 0) lines.push(`  … ${delta.droppedFindings} more not shown`);
  }
  const total = delta.lines.length + delta.droppedLines;
  if (total > 0) {
    // With findings the stacks are already above; the tail only adds context.
    const shown = delta.lines.slice(findings.length > 0 ? -shownLogLinesWithFindings : -shownLogLines);
    const cut = total > shown.length ? ` (last ${shown.length} of ${total} lines)` : "";
    let text = shown.join("\n");
    for (const root of server.roots) text = text.replaceAll(`${root}/`, "");
    lines.push(`log since the last call${cut}:`, indent(text, "  "));
  } else lines.push("(nothing logged since the last call)");
  return {
    content: lines.join("\n"),
    isError: false,
    data: { findings, exit: delta.exit, port: server.port, command: server.command, logLines: total },
  };
}

function combine(parts: ToolResult[]): ToolResult {
  if (parts.length === 1) return parts[0]!;
  return {
    content: parts.map((p) => p.content).join("\n\n"),
    isError: parts.some((p) => p.isError),
    data: { servers: parts.map((p) => p.data) },
  };
}

function forgetExited(list: RunningServer[]): void {
  for (const server of [...list])
    if (!server.process.isRunning()) {
      server.watcher.close();
      list.splice(list.indexOf(server), 1);
    }
}

function noServer(port: number | undefined): string {
  return port === undefined
    ? "no server is running; start one with {action: 'start', command: '…', port: …}"
    : `no server was started on port ${port}; start one with {action: 'start', command: '…', port: ${port}}`;
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((l) => prefix + l)
    .join("\n");
}
