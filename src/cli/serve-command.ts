// `closedloop serve`: one HTTP server with MCP's Streamable HTTP transport at /mcp and the
// live dashboard at /. It binds loopback unless --host says otherwise (which needs --token),
// and checks Host and Origin on every request against DNS rebinding.
import { createServer } from "node:http";
import { createMcpHttpHandler } from "../mcp/index.ts";
import { createDashboardHandler, createRequestGuard } from "../web/index.ts";
import { createMcpServerConfig } from "./mcp-server-config.ts";
import { parseServerOptions, serverUsage } from "./server-options.ts";

export async function run(argv: string[]): Promise<number> {
  const options = parseServerOptions(argv, "serve");
  if (options === "help") {
    console.log(serverUsage("serve"));
    return 0;
  }
  const config = createMcpServerConfig(options);
  const registry = config.registry;
  const mcp = createMcpHttpHandler(config);
  const dashboard = createDashboardHandler({ runsDir: options.runsDir });
  const bound = options.host === "0.0.0.0" || options.host === "::" ? [] : [options.host];
  const guard = createRequestGuard({ allowedHosts: [...bound, ...options.allowHosts], token: options.token });
  const server = createServer((req, res) => {
    if (!guard(req, res)) return;
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/mcp")
      mcp.handle(req, res).catch((error: Error) => {
        process.stderr.write(`closedloop serve: /mcp failed: ${error.stack ?? error.message}\n`);
        if (!res.headersSent) res.writeHead(500).end();
      });
    else dashboard(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const shown = options.host.includes(":") ? `[${options.host}]` : options.host;
  console.log(`closedloop serve: dashboard http://${shown}:${port}/  ·  MCP http://${shown}:${port}/mcp`);
  console.log(`runs: ${options.runsDir}${options.token ? "  ·  token required" : ""}`);
  const stop = new Promise<void>((resolve) => {
    const onSignal = () => resolve();
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  await stop;
  dashboard.close();
  await mcp.close();
  await registry.disposeAll();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return 0;
}
