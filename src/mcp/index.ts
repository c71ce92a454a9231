// Public face of the MCP server: closedloop's sandboxes, check, verify and whole runs as MCP
// tools, over stdio (`closedloop mcp`) or Streamable HTTP (`closedloop serve`, at /mcp).
export { createMcpServer, type McpServerConfig } from "./create-mcp-server.ts";
export { createMcpHttpHandler, type McpHttpHandler, type McpHttpOptions } from "./mcp-http-handler.ts";
export type { RunLauncher, RunOutcome, RunRequest } from "./mcp-session.ts";
export { SandboxRegistry, type SandboxRegistryOptions } from "./sandbox-registry.ts";
export { serveStdio } from "./serve-stdio.ts";
export { readWitness, type Witness, type WitnessEntry } from "./witness.ts";
