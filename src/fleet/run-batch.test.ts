// runBatch with a runner double (no sandbox, no model): the bookkeeping around the runs.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { type AttemptRunner, unrunResult } from "./attempt.ts";
import { readResultLines } from "./batch-results.ts";
import { createInProcessQueue } from "./in-process-queue.ts";
import { runBatch } from "./run-batch.ts";

const scratch = mkdtempSync(join(tmpdir(), "closedloop-run-batch-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function tasksFile(name: string, ids: string[], extra = ""): string {
  const file = join(scratch, `${name}.jsonl`);
  const lines = ids.map((id) =>
    JSON.stringify({ instance_id: id, workspace: scratch, task: "t", verify: ["true"] }),
  );
  writeFileSync(file, `${[...lines, extra].join("\n")}\n`);
  return file;
}

/** Each attempt costs $1 and is verified; counts how many ran. */
function costlyRunner(): { runner: AttemptRunner; ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    runner: async (job) => {
      ran.push(job.runId);
      return {
        ...unrunResult(job, "error", "ok", "test"),
        outcome: "verified",
        verified: true,
        costUsd: 1,
        steps: 2,
      };
    },
  };
}

test("--max-total-cost stops new tasks once reached; the rest are reported as not run", async () => {
  const { runner, ran } = costlyRunner();
  const notRun: string[] = [];
  const out = join(scratch, "capped");
  const { summary, unfinished } = await runBatch({
    tasksFile: tasksFile("capped", ["a", "b", "c", "d"]),
    outDir: out,
    queue: createInProcessQueue({ concurrency: 1, runner }),
    taskWindow: 1,
    attempts: 1,
    pick: "first",
    maxTotalCostUsd: 2,
    defaultsFor: () => ({}),
    onNotRun: (task) => notRun.push(task.instanceId),
  });
  assert.deepEqual(ran, ["a.a1", "b.a1"]);
  assert.deepEqual(notRun, ["c", "d"]);
  assert.equal(summary.costUsd.total, 2);
  assert.equal(summary.notRun.length, 2);
  assert.equal(unfinished, 2);
});

test("a rerun skips tasks with a result, and --redo runs them again under new run ids", async () => {
  const file = tasksFile("rerun", ["x", "y"], "{broken");
  const out = join(scratch, "rerun");
  const first = costlyRunner();
  const options = {
    tasksFile: file,
    outDir: out,
    taskWindow: 2,
    attempts: 2,
    pick: "smallest" as const,
    defaultsFor: () => ({}),
  };
  const bad: number[] = [];
  const run1 = await runBatch({
    ...options,
    queue: createInProcessQueue({ concurrency: 2, runner: first.runner }),
    onBadRecord: (p) => bad.push(p.line),
  });
  assert.deepEqual(bad, [3]);
  assert.equal(run1.unfinished, 1, "the bad record has no result");
  assert.deepEqual(first.ran.sort(), ["x.a1", "x.a2", "y.a1", "y.a2"]);
  const again = costlyRunner();
  await runBatch({ ...options, queue: createInProcessQueue({ concurrency: 2, runner: again.runner }) });
  assert.deepEqual(again.ran, [], "nothing ran twice");
  assert.equal(readResultLines(out).length, 2);
  const redo = costlyRunner();
  await runBatch({
    ...options,
    redo: true,
    queue: createInProcessQueue({ concurrency: 2, runner: redo.runner }),
  });
  assert.deepEqual(redo.ran.sort(), ["x.r2.a1", "x.r2.a2", "y.r2.a1", "y.r2.a2"]);
  assert.ok(
    readResultLines(out).every((l) => l.run_id.includes(".r2.")),
    "results.jsonl holds the redone runs",
  );
  assert.equal(readResultLines(out).length, 2, "the new results.jsonl has each task once");
});

test("a second batch on the same folder is refused while the first runs", async () => {
  const out = join(scratch, "locked");
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const runner: AttemptRunner = async (job) => {
    await gate;
    return unrunResult(job, "error", "done", "test");
  };
  const options = {
    tasksFile: tasksFile("locked", ["l"]),
    outDir: out,
    taskWindow: 1,
    attempts: 1,
    pick: "first" as const,
    defaultsFor: () => ({}),
  };
  const first = runBatch({ ...options, queue: createInProcessQueue({ concurrency: 1, runner }) });
  await new Promise((r) => setTimeout(r, 50));
  await assert.rejects(
    runBatch({ ...options, queue: createInProcessQueue({ concurrency: 1, runner }) }),
    /another batch \(pid \d+\) is writing to/,
  );
  release();
  await first;
});

test("allow_edit reaches every attempt's job: the record's own list, else the batch's --allow-edit", async () => {
  const jobs: { id: string; allowEdit?: string[] }[] = [];
  const runner: AttemptRunner = async (job) => {
    jobs.push({ id: job.instanceId, ...(job.allowEdit ? { allowEdit: job.allowEdit } : {}) });
    return { ...unrunResult(job, "error", "ok", "test"), outcome: "verified", verified: true };
  };
  const own = JSON.stringify({
    instance_id: "own",
    workspace: scratch,
    task: "t",
    verify: ["true"],
    allow_edit: ["package.json", "package-lock.json"],
  });
  await runBatch({
    tasksFile: tasksFile("allow-edit", ["plain"], own),
    outDir: join(scratch, "allow-edit"),
    queue: createInProcessQueue({ concurrency: 1, runner }),
    taskWindow: 1,
    attempts: 1,
    pick: "first",
    defaultsFor: () => ({ allowEdit: ["Cargo.toml"] }),
  });
  assert.deepEqual(
    jobs.sort((a, b) => a.id.localeCompare(b.id)),
    [
      { id: "own", allowEdit: ["package.json", "package-lock.json"] },
      { id: "plain", allowEdit: ["Cargo.toml"] },
    ],
  );
});
