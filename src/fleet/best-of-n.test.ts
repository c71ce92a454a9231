import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  type AttemptJob,
  type AttemptResult,
  type AttemptRunner,
  attemptRunId,
  unrunResult,
} from "./attempt.ts";
import { readAttemptResult, recordAttemptResult } from "./attempt-store.ts";
import { formatResultLine } from "./batch-results.ts";
import { pickAttempt, runTaskAttempts } from "./best-of-n.ts";
import { createInProcessQueue } from "./in-process-queue.ts";

const scratch = mkdtempSync(join(tmpdir(), "closedloop-fleet-unit-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;

function jobs(n: number): AttemptJob[] {
  const outDir = join(scratch, `out-${++dirs}`);
  return Array.from({ length: n }, (_, i) => ({
    instanceId: "t",
    attempt: i + 1,
    runId: attemptRunId("t", i + 1),
    outDir,
    runsDir: join(outDir, "runs"),
    task: "x",
    workspace: scratch,
    verify: ["true"],
    protect: [],
    hidden: [],
    budgets: { maxSteps: 3 },
    sandbox: "process",
    allowNet: [],
  }));
}

function result(
  job: AttemptJob,
  verified: boolean,
  patch = "p",
  failuresAfter: number | null = 1,
): AttemptResult {
  return {
    ...unrunResult(job, "error", "", "test"),
    outcome: verified ? "verified" : "stall",
    verified,
    patch,
    failuresAfter: verified ? 0 : failuresAfter,
  };
}

/** A runner double that ends each attempt as told, after `ms`, and stops early when aborted. */
function runnerOf(plan: Record<number, { verified: boolean; ms: number; patch?: string }>): {
  runner: AttemptRunner;
  aborted: number[];
} {
  const aborted: number[] = [];
  const runner: AttemptRunner = (job, signal) =>
    new Promise((resolve) => {
      const p = plan[job.attempt]!;
      const timer = setTimeout(() => resolve(result(job, p.verified, p.patch)), p.ms);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        aborted.push(job.attempt);
        resolve({ ...result(job, false), outcome: "interrupted" });
      });
    });
  return { runner, aborted };
}

test("pick first takes the only verified attempt and cancels the others", async () => {
  const { runner, aborted } = runnerOf({
    1: { verified: false, ms: 2000 },
    2: { verified: true, ms: 20 },
    3: { verified: false, ms: 2000 },
  });
  const queue = createInProcessQueue({ concurrency: 3, runner });
  const js = jobs(3);
  const out = await runTaskAttempts(queue, js, "first");
  assert.equal(out.picked.attempt, 2);
  assert.deepEqual(
    out.attempts.map((a) => a.outcome),
    ["cancelled", "verified", "cancelled"],
  );
  assert.deepEqual(aborted.sort(), [1, 3]);
  assert.equal(readAttemptResult(js[0]!.outDir, js[0]!.runId)?.outcome, "cancelled");
});

test("an attempt still waiting when another wins never starts", async () => {
  let started = 0;
  const inner = runnerOf({ 1: { verified: true, ms: 10 }, 2: { verified: false, ms: 10 } });
  const queue = createInProcessQueue({
    concurrency: 1,
    runner: (job, signal) => {
      started++;
      return inner.runner(job, signal);
    },
  });
  const out = await runTaskAttempts(queue, jobs(2), "first");
  assert.equal(out.picked.attempt, 1);
  assert.equal(started, 1);
  assert.equal(out.attempts[1]!.outcome, "cancelled");
});

test("pick smallest waits for every attempt and takes the smallest verified patch", async () => {
  const { runner } = runnerOf({
    1: { verified: true, ms: 5, patch: "a long patch" },
    2: { verified: true, ms: 30, patch: "short" },
    3: { verified: false, ms: 10, patch: "" },
  });
  const out = await runTaskAttempts(createInProcessQueue({ concurrency: 3, runner }), jobs(3), "smallest");
  assert.equal(out.picked.attempt, 2);
  assert.equal(out.attempts.length, 3);
});

test("without a verified attempt the one with the fewest failures left is handed over, unresolved", () => {
  const js = jobs(3);
  const picked = pickAttempt(
    [result(js[0]!, false, "a", 3), result(js[1]!, false, "b", 1), result(js[2]!, false, "c", null)],
    "first",
  );
  assert.equal(picked.attempt, 2);
  assert.equal(picked.verified, false);
});

test("an attempt result is recorded once: a second writer gets the first one back", () => {
  const [job] = jobs(1);
  const first = recordAttemptResult(job!.outDir, result(job!, true, "first"));
  const second = recordAttemptResult(job!.outDir, result(job!, false, "second"));
  assert.equal(first.patch, "first");
  assert.equal(second.patch, "first");
  assert.deepEqual(
    readdirSync(join(job!.outDir, "attempts")),
    ["t.a1.json"],
    "no temporary file is left behind",
  );
});

test("a results line splits the witness into FAIL_TO_PASS / PASS_TO_PASS successes and failures", () => {
  const [job] = jobs(1);
  const r = {
    ...result(job!, true),
    failToPass: [
      { id: "t1", before: "fail", after: "pass" },
      { id: "t2", before: "fail", after: "fail" },
    ],
    passToPass: [{ id: "t3", before: "pass", after: "pass" }],
  };
  const line = formatResultLine(
    { line: 1, instanceId: "t", task: "x", workspace: "/w", failToPass: ["t1", "t2"] },
    { picked: r, attempts: [r] },
    1234.4,
  );
  assert.deepEqual(line.tests_status, {
    FAIL_TO_PASS: { success: ["t1"], failure: ["t2"] },
    PASS_TO_PASS: { success: ["t3"], failure: [] },
  });
  assert.deepEqual(line.FAIL_TO_PASS, ["t1", "t2"]);
  assert.equal(line.wall_time_ms, 1234);
  assert.equal(line.resolved, true);
});
