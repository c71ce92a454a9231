// When the host process dies without disposing (SIGKILL), nothing of its sandboxes keeps
// running, and the next start sweeps what it left on disk.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { createSandboxInFreshProcess } from "./fresh-process.test-support.ts";

const here = fileURLToPath(new URL(".", import.meta.url));

function markerCount(marker: string): number {
  const r = spawnSync("pgrep", ["-f", marker], { encoding: "utf8" });
  return r.stdout.split("\n").filter(Boolean).length;
}

test("a SIGKILLed host takes its sandboxes' processes with it, and the next start sweeps their files", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cl-death-"));
  const marker = `4242.${process.pid}${Math.floor(Math.random() * 1000)}`;
  const script = join(dir, "host.mts");
  writeFileSync(
    script,
    `import { createSandbox } from ${JSON.stringify(join(here, "index.ts"))};
const sb = await createSandbox({ workspace: ${JSON.stringify(dir)}, backend: "local" });
await sb.start("sleep ${marker}1");
await sb.exec("setsid sh -c 'sleep ${marker}2 &'; true");
console.log(sb.info.id);
setInterval(() => {}, 1000);
`,
  );
  try {
    const host = spawn(process.execPath, ["--import", "tsx", script], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const id = await new Promise<string>((resolve) =>
      host.stdout.once("data", (c: Buffer) => resolve(c.toString().trim())),
    );
    const up = Date.now() + 5000;
    while (markerCount(marker) < 2 && Date.now() < up) await new Promise((r) => setTimeout(r, 50));
    assert.ok(markerCount(marker) >= 2, "both sleeps run while the host lives");
    host.kill("SIGKILL");
    await new Promise((r) => host.once("exit", r));
    const deadline = Date.now() + 5000;
    while (markerCount(marker) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(markerCount(marker), 0, "nothing of the sandbox outlives its host");

    const stateRoot = join(
      process.getuid?.() === 0 ? "/tmp" : (process.env.XDG_RUNTIME_DIR ?? "/tmp"),
      `closedloop-${process.getuid?.()}`,
    );
    assert.ok(readdirSync(stateRoot).includes(`sbx-${id}`), "the dead host left its state behind");
    const r = createSandboxInFreshProcess(dir);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(existsSync(join(stateRoot, `sbx-${id}`)), false, "swept at the next start");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
