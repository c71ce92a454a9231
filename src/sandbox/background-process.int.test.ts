import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { createBackgroundProcess } from "./background-process.ts";
import { spawnInGroup } from "./process-group.ts";

/** Alive and not a zombie (orphans are reaped by init, which may take a while here). */
function isRunningPid(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

const sh = (script: string) =>
  spawnInGroup({ file: "/bin/sh", args: ["-c", script], cwd: "/", env: { PATH: "/usr/bin:/bin" } }, false);

test("the log keeps only the newest bytes while every line, and a last partial one, reaches listeners", async () => {
  const proc = createBackgroundProcess({
    id: "bg-1",
    command: "lines",
    child: sh("i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done; printf tail-without-newline"),
    logBytes: 1000,
  });
  const lines: string[] = [];
  proc.onLog((line) => lines.push(line));
  assert.deepEqual(await proc.exited, { exitCode: 0, signal: null });
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(proc.logs().length <= 1000);
  assert.ok(proc.logs().endsWith("line-2999\ntail-without-newline"));
  assert.equal(lines.length, 3001);
  assert.equal(lines[0], "line-0");
  assert.equal(lines.at(-1), "tail-without-newline");
});

test("kill takes the whole process group, grandchildren included", async () => {
  const proc = createBackgroundProcess({
    id: "bg-2",
    command: "tree",
    child: sh("sleep 100 & echo $!; sleep 100"),
  });
  const pid = await new Promise<number>((resolve) => proc.onLog((line) => resolve(Number(line))));
  assert.equal(proc.isRunning(), true);
  await proc.kill();
  assert.equal(proc.isRunning(), false);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(isRunningPid(pid), false, "the grandchild is gone");
});

test("waitForPort gives up after its timeout and names the port", async () => {
  const proc = createBackgroundProcess({
    id: "bg-3",
    command: "idle",
    child: sh("sleep 100"),
    probePort: async () => false,
  });
  await assert.rejects(proc.waitForPort(1, 300), /nothing listened on port 1 within 300 ms/);
  await proc.kill();
});
