// Each of the local sandbox's limits hit for real, and ExecResult.limitsHit naming it from
// what the kernel counted. A cgroup (v1 or v2) counts OOM kills and refused forks; the
// rlimit fallback makes malloc and fork fail without any counter, so there those two must
// NOT be claimed (the limit still holds, which is asserted too). The disk budget is a
// tmpfs and the time limit a timer under every mechanism. Never skipped: without a local
// sandbox these fail with the preflight message.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createSandbox } from "./index.ts";
import type { Sandbox } from "./types.ts";

const mib = 1024 ** 2;

describe("the local sandbox says which limit a command hit", () => {
  let dir: string;
  let sb: Sandbox;
  let counted: boolean;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "cl-limits-"));
    sb = await createSandbox({
      workspace: dir,
      backend: "local",
      warmPool: false,
      limits: { memoryBytes: 128 * mib, maxProcesses: 64, diskBytes: 8 * mib, timeoutMs: 60_000 },
    });
    counted = sb.info.limitMechanism === "cgroup-v1" || sb.info.limitMechanism === "cgroup-v2";
  });
  after(async () => {
    await sb?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test("a command that stays under every limit reports none", async (t) => {
    t.diagnostic(`limit mechanism: ${sb.info.limitMechanism}`);
    // Some memory, some processes, some disk (removed again), well inside each budget.
    const r = await sb.exec(
      `python3 -c "b = b'x' * (16 * 1024 * 1024); print(len(b))" && for i in 1 2 3 4 5; do sleep 0.1 & done; wait; head -c 2000000 /dev/zero > f && rm f`,
    );
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.limitsHit, undefined);
  });

  test("memory: a process killed at the memory limit is reported (where a cgroup counts it)", async () => {
    const r = await sb.exec(`python3 -c "b = b'x' * (400 * 1024 * 1024); print('survived', len(b))"`);
    assert.notEqual(r.exitCode, 0, "the allocation must not succeed");
    assert.doesNotMatch(r.stdout, /survived/);
    if (counted) {
      assert.deepEqual(r.limitsHit, ["memory"], `${sb.info.limitMechanism}: ${r.stderr}`);
      assert.equal(r.exitCode, 137, "the OOM killer's SIGKILL, as the shell reports it");
    } else {
      // rlimit: RLIMIT_DATA made the allocation fail (Python's MemoryError); no counter says so.
      assert.match(r.stderr, /MemoryError/);
      assert.equal(r.limitsHit?.includes("memory") ?? false, false);
    }
  });

  test("processes: forks refused at the process cap are reported (where a cgroup counts them)", async () => {
    const r = await sb.exec("for i in $(seq 1 100); do sleep 1 & done; wait");
    // The shell gives up at the first refused fork; its sleeps hold the cap for a second more.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.match(r.stderr, /fork/i, "some forks must have been refused");
    if (counted) assert.deepEqual(r.limitsHit, ["processes"], sb.info.limitMechanism);
    else assert.equal(r.limitsHit?.includes("processes") ?? false, false);
  });

  test("disk: filling the writable layer is reported, on every mechanism", async () => {
    // Many files, so it is the tmpfs that fills (not the per-file size limit).
    const fill = await sb.exec(
      "for i in 1 2 3 4 5 6 7 8 9 10; do head -c 1000000 /dev/zero > f$i || exit 1; done",
    );
    assert.notEqual(fill.exitCode, 0, "the ninth megabyte cannot fit in 8 MiB");
    assert.deepEqual(fill.limitsHit, ["disk"], fill.stderr);
    // Already full and still full, but it wrote nothing: not claimed.
    const idle = await sb.exec("echo reading; ls > /dev/null");
    assert.equal(idle.limitsHit, undefined);
    const freed = await sb.exec("rm -f f*; echo x > small");
    assert.equal(freed.exitCode, 0, freed.stderr);
    assert.equal(freed.limitsHit, undefined, "room again after the files are removed");
  });

  test("disk: /tmp is the same budget", async () => {
    const r = await sb.exec(
      "for i in $(seq 1 10); do head -c 1000000 /dev/zero > /tmp/t$i || break; done; rm -f /tmp/t*",
    );
    // Removed before the command ended: the layer has room again, so nothing can be claimed.
    assert.equal(r.limitsHit, undefined);
    const kept = await sb.exec(
      "for i in $(seq 1 10); do head -c 1000000 /dev/zero > /tmp/t$i || exit 3; done",
    );
    assert.equal(kept.exitCode, 3);
    assert.deepEqual(kept.limitsHit, ["disk"]);
    await sb.exec("rm -f /tmp/t*");
  });

  test("timeout: a command killed at its wall time is reported", async () => {
    const r = await sb.exec("sleep 30", { timeoutMs: 300 });
    assert.equal(r.timedOut, true);
    assert.deepEqual(r.limitsHit, ["timeout"]);
  });

  test("after every limit was hit, a modest command again reports none", async () => {
    const r = await sb.exec("echo fine");
    assert.equal(r.stdout, "fine\n");
    assert.equal(r.limitsHit, undefined);
  });
});

test("the process backend enforces no limit and claims none", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cl-limits-proc-"));
  const sb = await createSandbox({
    workspace: dir,
    backend: "process",
    quiet: true,
    limits: { diskBytes: mib },
  });
  try {
    const r = await sb.exec("head -c 2000000 /dev/zero > f; echo done");
    assert.equal(r.stdout, "done\n");
    assert.equal(r.limitsHit, undefined);
    const late = await sb.exec("sleep 30", { timeoutMs: 200 });
    assert.equal(late.timedOut, true, "its one limit is the timer, said by timedOut");
    assert.equal(late.limitsHit, undefined);
  } finally {
    await sb.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
