// `closedloop mcp [--sandbox local|process] [--runs-dir DIR] [--model ID]`: closedloop as an MCP
// server over stdio, for Claude Code, Codex, Cursor and other MCP clients. stdout belongs to
// the protocol; anything for a human goes to stderr.
import { SandboxRegistry, serveStdio } from "../mcp/index.ts";
import { createRunLauncher } from "./mcp-run-launcher.ts";
import { parseServerOptions, serverUsage } from "./server-options.ts";

export async function run(argv: string[]): Promise<number> {
  const options = parseServerOptions(argv, "mcp");
  if (options === "help") {
    console.log(serverUsage("mcp"));
    return 0;
  }
  const registry = new SandboxRegistry({ idleMs: options.idleMs, maxCount: options.maxSandboxes });
  await serveStdio({
    registry,
    backend: options.backend,
    cwd: process.cwd(),
    runsDir: options.runsDir,
    heartbeatMs: options.heartbeatMs,
    launchRun: createRunLauncher({ backend: options.backend, defaultModel: options.model }),
  });
  return 0;
}
