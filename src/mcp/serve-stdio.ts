// `closedloop mcp`: one session over stdin/stdout. stdout carries only protocol frames, so
// nothing else may print there; when the client closes stdin (or dies), every sandbox of the
// session is disposed and the promise resolves so the process can exit.
import { StdioServerTransport } from "@modelcontextprotocol/server/stdio";
import { createMcpServer, type McpServerConfig } from "./create-mcp-server.ts";

export async function serveStdio(config: McpServerConfig): Promise<void> {
  const { server } = createMcpServer(config, "stdio");
  const closed = new Promise<void>((resolve) => {
    server.server.onclose = () => resolve();
  });
  await server.connect(new StdioServerTransport());
  await closed;
  await config.registry.disposeAll();
}
