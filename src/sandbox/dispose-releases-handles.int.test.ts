// Once a sandbox is disposed nothing of it may keep the host process alive: no timer, no
// child, no socket. A CLI that is done otherwise sits idle until the last timer fires (once
// 2 s on every `closedloop sandbox -- true`, from a race against a timer never cleared).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

const workspace = mkdtempSync(join(tmpdir(), "closedloop-handles-"));
after(() => rmSync(workspace, { recursive: true, force: true }));
const index = new URL("./index.ts", import.meta.url).pathname;

function resourcesAfterDispose(backend: string, command: string): string[] {
  const out = join(workspace, `../closedloop-handles-${backend}-${process.pid}.json`);
  const script = `
    const { createSandbox } = await import(${JSON.stringify(index)});
    const sandbox = await createSandbox({ workspace: ${JSON.stringify(workspace)}, backend: "${backend}", quiet: true });
    const result = await sandbox.exec(${JSON.stringify(command)});
    if (result.exitCode !== 0) throw new Error("command failed: " + result.stderr);
    await sandbox.dispose();
    // An fs request in flight (a cache write) ends by itself; wait for those, not for timers.
    await new Promise((r) => setTimeout(r, 100));
    const left = process.getActiveResourcesInfo();
    (await import("node:fs")).writeFileSync(${JSON.stringify(out)}, JSON.stringify(left));
  `;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    encoding: "utf8",
    // No pipes to us: a pipe would itself be a handle.
    stdio: "ignore",
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  try {
    return JSON.parse(readFileSync(out, "utf8"));
  } finally {
    rmSync(out, { force: true });
  }
}

for (const backend of ["local", "process"]) {
  test(`a disposed ${backend} sandbox leaves no timer, child or socket behind`, () => {
    assert.deepEqual(resourcesAfterDispose(backend, "true"), []);
  });
}
