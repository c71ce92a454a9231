// The registry's rules with real sandboxes (the `process` backend, for speed): an idle sandbox
// is disposed after its time-out, a busy one is not, and a session's end takes only its own.
import assert from "node:assert/strict";
import { mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createSandbox } from "../sandbox/index.ts";
import { SandboxRegistry } from "./sandbox-registry.ts";

const workspace = realpathSync(mkdtempSync(join(tmpdir(), "closedloop-registry-")));
after(() => rmSync(workspace, { recursive: true, force: true }));
const open = () => createSandbox({ workspace, backend: "process", quiet: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("an idle sandbox is disposed after the time-out; a late call says so", async () => {
  const registry = new SandboxRegistry({ idleMs: 300 });
  const id = await registry.create("a", open);
  await registry.use("a", id, (s) => s.exec("true"));
  assert.equal(registry.size, 1);
  await sleep(700);
  assert.equal(registry.size, 0);
  await assert.rejects(
    registry.use("a", id, async () => {}),
    /was disposed \(idle for 300 ms\)/,
  );
});

test("a sandbox in use is not disposed by its idle timer, and the timer restarts after the call", async () => {
  const registry = new SandboxRegistry({ idleMs: 300 });
  const id = await registry.create("a", open);
  await registry.use("a", id, (s) => s.exec("sleep 0.8"));
  assert.equal(registry.size, 1, "still there right after a call longer than the idle time-out");
  await sleep(700);
  assert.equal(registry.size, 0);
});

test("ending one session disposes its sandboxes and leaves the other's", async () => {
  const registry = new SandboxRegistry({ idleMs: 60_000 });
  const mine = await registry.create("a", open);
  const theirs = await registry.create("b", open);
  await assert.rejects(
    registry.use("b", mine, async () => {}),
    /no sandbox .* in this session/,
  );
  assert.equal(await registry.disposeOwner("a"), 1);
  await assert.rejects(
    registry.use("a", mine, async () => {}),
    /its session ended/,
  );
  await registry.use("b", theirs, (s) => s.exec("true"));
  await registry.disposeAll();
  assert.equal(registry.size, 0);
});
