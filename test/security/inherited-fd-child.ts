// Helper process for the "inherited-fd" attack: it is started with a FIFO on fd 200 that
// it did not open itself (as shells, CI runners and npm hand fds down), creates a sandbox,
// and has the sandboxed probe write a token into any fd that is that same FIFO. The
// parent holds the read end; a token arriving there means a host fd leaked inside.
// Only that one pipe is ever written: other inherited fds may belong to whatever runs us.
// usage: node --import tsx inherited-fd-child.ts WORKSPACE BACKEND TOKEN
import { readlinkSync } from "node:fs";
import { type BackendName, createSandbox } from "../../src/sandbox/index.ts";
import { batteryLimits } from "./attack-context.ts";

const [workspace, backend, token] = process.argv.slice(2);
if (!workspace || !backend || !token) throw new Error("usage: inherited-fd-child.ts WORKSPACE BACKEND TOKEN");
const target = readlinkSync("/proc/self/fd/200");
const sb = await createSandbox({
  workspace,
  backend: backend as BackendName,
  quiet: true,
  limits: batteryLimits,
});
try {
  const r = await sb.exec(`./.clsec/probe writefd '${target}' ${token}; echo scanned`);
  process.stdout.write(`${r.stdout}${r.stderr}`);
} finally {
  await sb.dispose();
}
