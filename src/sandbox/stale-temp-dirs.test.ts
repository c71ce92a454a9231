import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ownedTempPrefix, sweepStaleTempDirs } from "./stale-temp-dirs.ts";

test("only temp dirs of processes that are gone are swept, once per kind", () => {
  const deadPid = spawnSync("/bin/true").pid!;
  const dead = join(tmpdir(), `closedloop-sweeptest-${deadPid}-abc`);
  const mine = `${ownedTempPrefix("sweeptest")}abc`;
  const live = join(tmpdir(), "closedloop-sweeptest-1-abc");
  const other = join(tmpdir(), `closedloop-othertest-${deadPid}-abc`);
  for (const dir of [dead, mine, live, other]) mkdirSync(join(dir, "inner"), { recursive: true });
  try {
    sweepStaleTempDirs("sweeptest");
    assert.equal(existsSync(dead), false);
    assert.equal(existsSync(mine), true);
    assert.equal(existsSync(live), true, "pid 1 is alive");
    assert.equal(existsSync(other), true, "another kind is left alone");
    mkdirSync(dead);
    sweepStaleTempDirs("sweeptest");
    assert.equal(existsSync(dead), true, "the sweep runs once per process");
  } finally {
    for (const dir of [dead, mine, live, other]) rmSync(dir, { recursive: true, force: true });
  }
});
