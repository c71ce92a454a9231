// A stand-in for an MCP client that dies mid-run (the test SIGKILLs it): it starts
// `closedloop mcp`, creates a sandbox, starts a slow run, prints the pids it knows, and waits.
import { connectStdio, writeFixScript } from "./mcp-fixtures.ts";

const [root, project, runsDir] = process.argv.slice(2) as [string, string, string];
const { client, transport } = await connectStdio(["--runs-dir", runsDir], root);
const created = await client.callTool({ name: "sandbox_create", arguments: { workspace: project } });
const { hostPid } = created.structuredContent as { hostPid: number };
let told = false;
void client
  .callTool(
    {
      name: "run",
      arguments: {
        task: "Fix the cart.",
        workspace: project,
        verify: ["node --test test/"],
        model: `scripted:${writeFixScript(root, { slowSteps: 50, stepSeconds: 1 })}`,
        max_steps: 60,
      },
    },
    {
      resetTimeoutOnProgress: true,
      onprogress: (p) => {
        if (told || !/^step 1/.test(p.message ?? "")) return;
        told = true;
        process.stdout.write(`${JSON.stringify({ serverPid: transport.pid, sandboxPid: hostPid })}\n`);
      },
    },
  )
  .catch(() => {});
setInterval(() => {}, 60_000);
