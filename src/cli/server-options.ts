// Flags of the two long-running commands, `closedloop mcp` (stdio) and `closedloop serve`
// (HTTP: MCP at /mcp and the dashboard at /). A non-loopback --host needs a token, since
// anyone who reaches the port could otherwise run commands in sandboxes on this machine.
import { resolve } from "node:path";
import type { BackendName } from "../sandbox/index.ts";
import { parseDuration, UserError } from "../util/index.ts";
import { type FlagTable, formatFlagHelp, parseFlagTable } from "./flag-table.ts";

export interface ServerOptions {
  backend: BackendName;
  runsDir: string;
  model?: string | undefined;
  idleMs: number;
  maxSandboxes: number;
  heartbeatMs: number;
  port: number;
  host: string;
  token?: string | undefined;
  allowHosts: string[];
}

export const mcpFlags = {
  sandbox: { value: "NAME", help: "local (bubblewrap, default) or process (NO isolation)" },
  "runs-dir": { value: "DIR", help: "where runs are stored and read (default .closedloop/runs)" },
  model: { value: "ID", help: "model for the run tool when a call names none" },
  idle: { value: "DUR", help: "dispose a sandbox after this long unused (default 15m)" },
  "max-sandboxes": { value: "N", help: "sandboxes held at once by this server (default 8)" },
  heartbeat: { value: "DUR", help: "progress interval while a run's step is busy (default 10s)" },
  help: { short: "h", help: "this text" },
} as const satisfies FlagTable;

export const serveFlags = {
  port: { value: "N", help: "port (default 7420; 0 picks a free one)" },
  host: { value: "ADDR", help: "address to bind (default 127.0.0.1); any other needs --token" },
  token: { value: "TOKEN", help: "bearer token required on every request (or CLOSEDLOOP_TOKEN)" },
  "allow-host": {
    value: "NAME",
    multiple: true,
    help: "extra Host/Origin name accepted, e.g. this machine's DNS name",
  },
  ...mcpFlags,
} as const satisfies FlagTable;

const loopbackHosts = new Set(["127.0.0.1", "localhost", "::1"]);

export function isLoopbackHost(host: string): boolean {
  return loopbackHosts.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function serverUsage(command: "mcp" | "serve"): string {
  if (command === "mcp")
    return `usage: closedloop mcp [options]\n\nServes closedloop's tools over MCP on stdin/stdout (for Claude Code, Codex, Cursor …).\n\noptions:\n${formatFlagHelp(mcpFlags)}`;
  return `usage: closedloop serve [options]\n\nServes MCP (Streamable HTTP) at /mcp and the live dashboard of runs at /.\n\noptions:\n${formatFlagHelp(serveFlags)}`;
}

export function parseServerOptions(argv: string[], command: "mcp" | "serve"): ServerOptions | "help" {
  const { values } = parseFlagTable(serveFlags, argv, command);
  if (command === "mcp")
    for (const flag of Object.keys(serveFlags))
      if (!(flag in mcpFlags) && values[flag as keyof typeof values] !== undefined)
        throw new UserError(`--${flag} is a flag of closedloop serve; closedloop mcp speaks stdio`);
  if (values.help) return "help";
  const backend = values.sandbox ?? "local";
  if (backend !== "local" && backend !== "process")
    throw new UserError(`--sandbox ${backend}: choose local (isolated) or process (no isolation)`);
  const maxSandboxes = Number(values["max-sandboxes"] ?? 8);
  if (!Number.isInteger(maxSandboxes) || maxSandboxes < 1)
    throw new UserError(
      `--max-sandboxes must be a whole number, at least 1 (got '${values["max-sandboxes"]}')`,
    );
  const port = Number(values.port ?? 7420);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UserError(`--port must be a port number 0–65535 (got '${values.port}')`);
  const host = values.host ?? "127.0.0.1";
  const token = values.token ?? process.env.CLOSEDLOOP_TOKEN ?? undefined;
  if (!isLoopbackHost(host) && !token)
    throw new UserError(
      `--host ${host} makes the server reachable from other machines: give --token TOKEN (or set CLOSEDLOOP_TOKEN) so only clients with it get in`,
    );
  if (token !== undefined && token.length < 16)
    throw new UserError("--token must be at least 16 characters (e.g. openssl rand -hex 24)");
  return {
    backend,
    runsDir: resolve(values["runs-dir"] ?? ".closedloop/runs"),
    model: values.model,
    idleMs: parseDuration(values.idle ?? "15m", "--idle"),
    maxSandboxes,
    heartbeatMs: parseDuration(values.heartbeat ?? "10s", "--heartbeat"),
    port,
    host,
    token,
    allowHosts: values["allow-host"] ?? [],
  };
}
