// `closedloop mcp [--sandbox local|process] [--runs-dir DIR] [--model ID]`: closedloop as an MCP
// server over stdio, for Claude Code, Codex, Cursor and other MCP clients. stdout belongs to
// the protocol; anything for a human goes to stderr.
import { serveStdio } from "../mcp/index.ts";
import { createMcpServerConfig } from "./mcp-server-config.ts";
import { parseServerOptions, serverUsage } from "./server-options.ts";

export async function run(argv: string[]): Promise<number> {
  const options = parseServerOptions(argv, "mcp");
  if (options === "help") {
    console.log(serverUsage("mcp"));
    return 0;
  }
  await serveStdio(createMcpServerConfig(options));
  return 0;
}
