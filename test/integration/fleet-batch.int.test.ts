// `closedloop batch` end to end on the in-process queue: real local sandboxes, real `node --test`,
// the scripted model (a test double for the LLM). Ten tasks and one bad record; the batch is
// SIGKILLed while one task is mid-run, and the rerun resumes that task from its trajectory,
// skips the finished ones, and leaves every task in results.jsonl exactly once.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  copyDemoProject,
  createScratch,
  demoRepo,
  demoTask,
  done,
  eventsOf,
  exited,
  fixDiscount,
  fixTotal,
  readJsonLines,
  runCli,
  sleep,
  startCli,
  waitFor,
  writeTasks,
} from "./fleet-fixture.ts";

const scratch = createScratch("fleet-batch");
after(() => scratch.remove());

const prices = { input: 3, output: 15 };
function script(name: string, turns: unknown[]): string {
  const file = join(scratch.dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ turns, prices }));
  return `scripted:${file}`;
}

test("a 10-task batch with a bad record survives a SIGKILL: the interrupted task resumes, results are written once", async () => {
  const project = copyDemoProject(join(scratch.dir, "project"));
  const { repo, commit } = demoRepo(join(scratch.dir, "repo"));
  const good = script("good", [fixTotal, fixDiscount, done]);
  const slow = script("slow", [fixTotal, sleep(2), sleep(2), sleep(2), sleep(2), fixDiscount, done]);
  const halfway = script("halfway", [fixTotal, done]);
  const base = { workspace: project, task: demoTask, verify: ["node --test test/"], protect: ["test/**"] };
  const records: (Record<string, unknown> | string)[] = [
    { ...base, instance_id: "slow", model: slow },
    {
      ...base,
      instance_id: "t2",
      model: good,
      fail_to_pass: ["the total counts every unit of every item", "a 20% discount takes a fifth off"],
    },
    { ...base, instance_id: "t3", model: good },
    { instance_id: "no-task", workspace: project, verify: ["true"] },
    { ...base, instance_id: "t5", model: good },
    { ...base, instance_id: "unfixed", model: halfway, max_steps: 3 },
    {
      ...base,
      workspace: undefined,
      repo: `file://${repo}`,
      base_commit: commit,
      instance_id: "from-git",
      model: good,
    },
    { ...base, instance_id: "t8", model: good },
    { ...base, instance_id: "t9", model: good },
    { ...base, instance_id: "t10", model: good },
    { ...base, instance_id: "t11", model: good },
  ];
  const tasksFile = writeTasks(scratch.dir, records);
  const out = join(scratch.dir, "out");
  const runs = join(out, "runs");
  const args = ["batch", tasksFile, "--out", out, "--concurrency", "3", "--plain"];

  // First batch: killed outright while `slow` is between its second and last step.
  const first = startCli(args);
  await waitFor("slow to finish step 2", () =>
    eventsOf(runs, "slow.a1").some((e) => e.type === "step.finished" && e.step === 2),
  );
  assert.equal(
    eventsOf(runs, "slow.a1").some((e) => e.type === "run.finished"),
    false,
    "slow is still running when the batch is killed",
  );
  first.child.kill("SIGKILL");
  await exited(first.child);
  const linesBefore = readJsonLines(join(out, "results.jsonl"));
  assert.ok(!linesBefore.some((l) => l.instance_id === "slow"), "slow has no result yet");
  const finishedBefore = new Map(
    linesBefore.map((l) => [l.run_id as string, eventsOf(runs, l.run_id as string).length]),
  );

  // Second batch: the same command picks up where the first died.
  const second = runCli(args);
  assert.equal(second.code, 1, `exit 1: a record was bad\n${second.out}${second.err}`);
  assert.match(second.err, /tasks\.jsonl:4: bad record skipped: task \(or problem_statement\) is missing/);
  assert.match(second.out, /resolved 9\/10 \(90%\)/);

  const lines = readJsonLines(join(out, "results.jsonl"));
  const ids = records
    .filter((r) => typeof r === "object" && r.instance_id !== "no-task")
    .map((r) => (r as { instance_id: string }).instance_id);
  assert.deepEqual(lines.map((l) => l.instance_id).sort(), [...ids].sort(), "every task exactly once");
  assert.deepEqual(
    lines.slice(0, linesBefore.length),
    linesBefore,
    "lines written before the kill stay as they were",
  );
  for (const [runId, count] of finishedBefore)
    assert.equal(
      eventsOf(runs, runId).length,
      count,
      `${runId} finished before the kill and was not run again`,
    );

  // The interrupted task resumed from its trajectory: one start, a resume after step 2, verified.
  const slowEvents = eventsOf(runs, "slow.a1");
  assert.equal(slowEvents.filter((e) => e.type === "run.started").length, 1);
  const resumed = slowEvents.find((e) => e.type === "run.resumed");
  assert.ok(resumed && (resumed.fromStep as number) >= 2, "resumed after step 2, not started over");
  assert.equal(slowEvents.filter((e) => e.type === "run.finished").at(-1)?.outcome, "verified");

  // Every field of every line, against the run's own log.
  const fields = [
    "instance_id",
    "model_name_or_path",
    "model_patch",
    "resolved",
    "outcome",
    "reason",
    "tests_status",
    "FAIL_TO_PASS",
    "PASS_TO_PASS",
    "failures_before",
    "failures_after",
    "steps",
    "tokens",
    "cost_usd",
    "time_ms",
    "wall_time_ms",
    "run_id",
    "attempt",
    "attempts",
  ];
  for (const line of lines) {
    const id = line.instance_id as string;
    const record = records.find((r) => typeof r === "object" && r.instance_id === id) as Record<
      string,
      unknown
    >;
    assert.deepEqual(Object.keys(line).sort(), [...fields].sort(), `${id}: exactly the documented fields`);
    const events = eventsOf(runs, `${id}.a1`);
    const finished = events.findLast((e) => e.type === "run.finished") as unknown as {
      outcome: string;
      verified: boolean;
      reason: string;
      steps: number;
      failuresAfter: number;
      totals: { inputTokens: number; outputTokens: number; costUsd: number; elapsedMs: number };
    };
    assert.equal(line.run_id, `${id}.a1`);
    assert.equal(line.attempt, 1);
    assert.equal(line.model_name_or_path, record.model as string);
    assert.equal(line.outcome, finished.outcome);
    assert.equal(line.resolved, finished.verified);
    assert.equal(line.resolved, id !== "unfixed");
    assert.equal(line.reason, finished.reason);
    assert.equal(line.steps, finished.steps);
    assert.equal(line.steps, events.filter((e) => e.type === "step.finished").length);
    assert.deepEqual(line.tokens, {
      input: finished.totals.inputTokens,
      output: finished.totals.outputTokens,
    });
    assert.ok((line.tokens as { input: number }).input > 0);
    assert.equal(line.cost_usd, finished.totals.costUsd);
    assert.ok((line.cost_usd as number) > 0, "priced scripted model: cost is counted");
    assert.equal(line.time_ms, finished.totals.elapsedMs);
    assert.ok((line.wall_time_ms as number) > 0);
    assert.equal(line.failures_before, 2);
    assert.equal(line.failures_after, finished.failuresAfter);
    assert.equal(line.model_patch, readFileSync(join(runs, `${id}.a1`, "patch.diff"), "utf8"));
    assert.deepEqual(line.FAIL_TO_PASS, (record.fail_to_pass as string[] | undefined) ?? []);
    assert.deepEqual(line.PASS_TO_PASS, []);
    if (line.tests_status !== null) {
      const split = line.tests_status as Record<string, { success: unknown[]; failure: unknown[] }>;
      assert.ok(Array.isArray(split.FAIL_TO_PASS!.success) && Array.isArray(split.PASS_TO_PASS!.failure));
    }
    assert.deepEqual(line.attempts, [
      {
        attempt: 1,
        run_id: `${id}.a1`,
        model: record.model,
        outcome: line.outcome,
        resolved: line.resolved,
        steps: line.steps,
        cost_usd: line.cost_usd,
        time_ms: line.time_ms,
        patch_bytes: Buffer.byteLength(line.model_patch as string),
      },
    ]);
  }

  // The handed-over patches are real: applied to a pristine copy, the tests pass.
  for (const id of ["slow", "from-git"]) {
    const pristine = copyDemoProject(join(scratch.dir, `pristine-${id}`));
    const patch = lines.find((l) => l.instance_id === id)!.model_patch as string;
    execFileSync("git", ["apply", "-"], { cwd: pristine, input: patch });
    const tests = spawnSync(process.execPath, ["--test", "test/"], { cwd: pristine, encoding: "utf8" });
    assert.equal(tests.status, 0, `${id}'s patch makes the tests pass\n${tests.stdout}`);
  }
  // The git task ran on its base commit, checked out under the batch folder.
  assert.ok(existsSync(join(out, "workspaces", "from-git", "src", "cart.js")));
  assert.equal(
    existsSync(join(out, "workspaces", "from-git", "LATER.md")),
    false,
    "checked out at base_commit",
  );

  const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
  assert.equal(summary.tasks, 10);
  assert.equal(summary.finished, 10);
  assert.equal(summary.resolved, 9);
  assert.equal(summary.resolvedPct, 90);
  assert.equal(summary.outcomes.verified, 9);
  assert.deepEqual(summary.badRecords, [{ line: 4, message: "task (or problem_statement) is missing" }]);
  assert.equal(
    summary.steps.total,
    lines.reduce((n, l) => n + (l.steps as number), 0),
  );
  assert.equal(summary.queue, "in-process");

  // A third run has nothing left to do, and --redo would start over under new run ids.
  const third = runCli(args);
  assert.equal(readJsonLines(join(out, "results.jsonl")).length, 10, third.out);
});
