// `closedloop sandbox -- …` with the local backend leaves nothing behind once the process
// has exited: no state dir, no cgroup, no process (not even one the command sent to the
// background inside), and the process ends as soon as the command does.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { cgroupLayout } from "../sandbox/cgroup-limits.ts";
import { helperRoot, stateRoot } from "../sandbox/state-root.ts";

const bin = new URL("../../bin/closedloop.mjs", import.meta.url).pathname;
const workspace = mkdtempSync(join(tmpdir(), "closedloop-cli-cleanup-"));
writeFileSync(join(workspace, "hello.txt"), "hello\n");
after(() => rmSync(workspace, { recursive: true, force: true }));

function owned(dir: string, prefix: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((e) => e.startsWith(prefix)) : [];
}

function cgroupParents(): string[] {
  const layout = cgroupLayout();
  if (!layout) return [];
  return layout.version === "v2" ? [layout.parent] : Object.values(layout.parents);
}

test("after `closedloop sandbox` exits, no state dir, cgroup or sandboxed process of it remains", () => {
  const marker = `${4000 + (process.pid % 1000)}.25`;
  const started = performance.now();
  const r = spawnSync(
    process.execPath,
    [bin, "sandbox", "--", `sleep ${marker} </dev/null >/dev/null 2>&1 & cat hello.txt`],
    { cwd: workspace, encoding: "utf8", timeout: 60_000 },
  );
  const elapsed = performance.now() - started;
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "hello\n");
  // Seen from the host the sandbox's background sleep is an ordinary process with its argv.
  const left = spawnSync("pgrep", ["-f", `sleep ${marker}`], { encoding: "utf8" }).stdout.trim();
  assert.equal(left, "", "the command's background process died with the sandbox");
  const pid = r.pid!;
  for (const root of new Set([stateRoot(), helperRoot]))
    assert.deepEqual(owned(root, `sbx-${pid}-`), [], `no state dir of pid ${pid} in ${root}`);
  const parents = cgroupParents();
  assert.ok(parents.length > 0 || process.getuid?.() !== 0, "root has a cgroup hierarchy to check");
  for (const parent of parents)
    assert.deepEqual(owned(parent, `closedloop-${pid}-`), [], `no cgroup of pid ${pid} in ${parent}`);
  // No timer or handle keeps the process alive after the command: seconds would mean one did.
  assert.ok(elapsed < 10_000, `the CLI exited ${Math.round(elapsed)} ms after it started`);
});
