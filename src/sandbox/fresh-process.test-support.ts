// Tests of the start-up sweep need a process that has not swept yet: the sweep runs once per
// process, at its first sandbox. This starts and disposes one sandbox in a fresh Node process.
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const sandboxIndex = join(fileURLToPath(new URL(".", import.meta.url)), "index.ts");

export function createSandboxInFreshProcess(workspace: string): SpawnSyncReturns<string> {
  const script = `import(${JSON.stringify(sandboxIndex)}).then(async (m) => { const s = await m.createSandbox({ workspace: ${JSON.stringify(workspace)}, backend: "local", warmPool: false }); await s.dispose(); })`;
  return spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
    encoding: "utf8",
    timeout: 60_000,
  });
}
