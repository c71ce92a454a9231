// One MCP server instance per client session (stdio: the process; HTTP: one Mcp-Session-Id),
// all sharing one sandbox registry. When the session's transport closes, its sandboxes go.
import { McpServer } from "@modelcontextprotocol/server";
import type { BackendName } from "../sandbox/index.ts";
import { registerCheckVerifyTools } from "./check-verify-tools.ts";
import type { McpSession, RunLauncher } from "./mcp-session.ts";
import { registerRunTools } from "./run-tools.ts";
import type { SandboxRegistry } from "./sandbox-registry.ts";
import { registerSandboxTools } from "./sandbox-tools.ts";

export interface McpServerConfig {
  registry: SandboxRegistry;
  backend: BackendName;
  cwd: string;
  runsDir: string;
  launchRun?: RunLauncher | undefined;
  /** See McpSession.heartbeatMs (default 10 s). */
  heartbeatMs?: number | undefined;
  version?: string;
}

const instructions =
  "closedloop runs code in disposable sandboxes and decides 'done' by ground truth. Use sandbox_create/sandbox_exec to try commands safely, check for compact failures of one command, verify to judge a patch in a clean room, and run to let closedloop's own loop fix a task until its verifier passes.";

/** The server and its session; `session.owner` may be set later (HTTP learns its id at initialize). */
export function createMcpServer(
  config: McpServerConfig,
  owner: string,
): { server: McpServer; session: McpSession } {
  const server = new McpServer(
    { name: "closedloop", version: config.version ?? "0.1.0" },
    { capabilities: { tools: {} }, instructions },
  );
  const session: McpSession = {
    registry: config.registry,
    owner,
    backend: config.backend,
    cwd: config.cwd,
    runsDir: config.runsDir,
    launchRun: config.launchRun,
    heartbeatMs: config.heartbeatMs ?? 10_000,
  };
  registerSandboxTools(server, session);
  registerCheckVerifyTools(server, session);
  registerRunTools(server, session);
  return { server, session };
}
