// What `mcp` and `serve` both hand the MCP server, built once from their shared flags.
import { type McpServerConfig, SandboxRegistry } from "../mcp/index.ts";
import { createRunLauncher } from "./mcp-run-launcher.ts";
import type { ServerOptions } from "./server-options.ts";

export function createMcpServerConfig(options: ServerOptions): McpServerConfig {
  return {
    registry: new SandboxRegistry({ idleMs: options.idleMs, maxCount: options.maxSandboxes }),
    backend: options.backend,
    cwd: process.cwd(),
    runsDir: options.runsDir,
    heartbeatMs: options.heartbeatMs,
    launchRun: createRunLauncher({ backend: options.backend, defaultModel: options.model }),
  };
}
