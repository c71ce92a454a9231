// Scale-out end to end: a real Redis, BullMQ, `closedloop batch --queue` and `closedloop worker`
// processes with real local sandboxes and the scripted model (a test double for the LLM). A
// worker is SIGKILLed mid-run; BullMQ's stalled-job check hands its job to another worker,
// which resumes the run from its trajectory; every task ends in results.jsonl exactly once.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { type RunningRedis, startRedisServer } from "../../src/fleet/testing/redis-server.ts";
import {
  copyDemoProject,
  createScratch,
  demoTask,
  done,
  eventsOf,
  exited,
  fixDiscount,
  fixTotal,
  readJsonLines,
  sleep,
  startCli,
  waitFor,
  writeTasks,
} from "./fleet-fixture.ts";

const scratch = createScratch("fleet-scale-out");
const children: ChildProcess[] = [];
let redis: RunningRedis | undefined;
after(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await Promise.all(children.map((c) => exited(c)));
  await redis?.stop();
  scratch.remove();
});

function script(name: string, turns: unknown[]): string {
  const file = join(scratch.dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ turns }));
  return `scripted:${file}`;
}

test("a worker SIGKILLed mid-run loses nothing: another worker resumes the run, each result once", async () => {
  redis = await startRedisServer();
  const project = copyDemoProject(join(scratch.dir, "project"));
  const good = script("good", [fixTotal, fixDiscount, done]);
  const slow = script("slow", [fixTotal, sleep(2), sleep(2), sleep(2), sleep(2), fixDiscount, done]);
  const base = { workspace: project, task: demoTask, verify: ["node --test test/"], protect: ["test/**"] };
  const ids = ["slow-1", "slow-2", "t3", "t4", "t5", "t6"];
  const tasksFile = writeTasks(
    scratch.dir,
    ids.map((id) => ({ ...base, instance_id: id, model: id.startsWith("slow") ? slow : good })),
  );
  const out = join(scratch.dir, "out");
  const runs = join(out, "runs");
  // Short lock and stall intervals so the test sees the hand-over in seconds, not minutes.
  const workerArgs = [
    "worker",
    "--queue",
    redis.url,
    "--concurrency",
    "2",
    "--lock-duration",
    "5s",
    "--stalled-interval",
    "2s",
  ];
  const start = (args: string[]) => {
    const started = startCli(args);
    children.push(started.child);
    return started;
  };
  const batch = start(["batch", tasksFile, "--out", out, "--queue", redis.url, "--plain"]);
  const workers = [start(workerArgs), start(workerArgs)];

  const midRun = (runId: string) => {
    const events = eventsOf(runs, runId);
    return (
      events.some((e) => e.type === "step.finished" && e.step === 2) &&
      !events.some((e) => e.type === "run.finished")
    );
  };
  let victimRun = "";
  await waitFor("a slow task halfway through on a worker", () => {
    victimRun = ["slow-1.a1", "slow-2.a1"].find(midRun) ?? "";
    return victimRun !== "";
  });
  const victim = workers.find((w) => w.output().includes(`started ${victimRun}`));
  assert.ok(victim, `a worker says it started ${victimRun}`);
  victim.child.kill("SIGKILL");
  await exited(victim.child);
  workers.push(start(workerArgs)); // a fresh worker, as a supervisor would start

  const code = await exited(batch.child);
  assert.equal(code, 0, batch.output());

  const lines = readJsonLines(join(out, "results.jsonl"));
  assert.deepEqual(lines.map((l) => l.instance_id).sort(), [...ids].sort(), "every task exactly once");
  assert.ok(
    lines.every((l) => l.resolved === true),
    "every task resolved",
  );
  assert.deepEqual(
    readdirSync(join(out, "attempts"))
      .filter((n) => n.endsWith(".json"))
      .sort(),
    ids.map((id) => `${id}.a1.json`).sort(),
    "one recorded result per attempt",
  );

  const events = eventsOf(runs, victimRun);
  assert.equal(events.filter((e) => e.type === "run.started").length, 1, "the run was not started over");
  const resumed = events.find((e) => e.type === "run.resumed");
  assert.ok(resumed && (resumed.fromStep as number) >= 2, "resumed after the steps the dead worker finished");
  assert.equal(events.filter((e) => e.type === "run.finished").length, 1, "finished once");
  const survivors = workers.filter((w) => w !== victim);
  assert.ok(
    survivors.some((w) => w.output().includes(`started ${victimRun}`)),
    "another worker took the job over",
  );
  for (const w of survivors) w.child.kill("SIGTERM");
  await Promise.all(survivors.map((w) => exited(w.child)));
});
