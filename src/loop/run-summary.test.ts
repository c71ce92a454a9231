import assert from "node:assert/strict";
import { test } from "node:test";
import type { LoopEvent } from "./loop-events.ts";
import { summarizeRun } from "./run-summary.ts";

const totals = (inputTokens: number, costUsd: number) => ({
  inputTokens,
  outputTokens: 10,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costUsd,
  elapsedMs: 100,
  modelCalls: 1,
});

function events(): LoopEvent[] {
  const base = { runId: "r", at: 1 };
  const verdict = (step: number, failingCount: number, reason: "baseline" | "done-claim") =>
    ({
      ...base,
      type: "verify.verdict",
      step,
      reason,
      verdict: failingCount ? "fail" : "pass",
      failingCount,
    }) as unknown as LoopEvent;
  return [
    {
      ...base,
      type: "run.started",
      config: {
        task: "fix it",
        workspace: "/w",
        model: { id: "m", label: "M", contextWindow: 1000 },
        verify: { commands: ["t"], protect: [], hidden: 0 },
        budgets: { maxSteps: 5 },
        launch: {},
      },
    },
    verdict(0, 3, "baseline"),
    { ...base, type: "model.request", step: 1, messages: 2, estimatedTokens: 120, elidedSteps: 0 },
    { ...base, type: "step.finished", step: 1, totals: totals(100, 0.01) } as unknown as LoopEvent,
    { ...base, type: "model.request", step: 2, messages: 4, estimatedTokens: 240, elidedSteps: 0 },
    verdict(2, 1, "done-claim"),
    { ...base, type: "step.finished", step: 2, totals: totals(300, 0.03) } as unknown as LoopEvent,
  ];
}

test("a run still being written is summarized as running, with a point per finished step", () => {
  const { summary, points } = summarizeRun("r", events());
  assert.equal(summary.status, "running");
  assert.equal(summary.task, "fix it");
  assert.equal(summary.steps, 2);
  assert.equal(summary.failingBefore, 3);
  assert.equal(summary.failingNow, 1);
  assert.deepEqual(
    points.map((p) => [p.step, p.failing, p.inputTokens, p.costUsd, p.contextTokens]),
    [
      [1, 3, 100, 0.01, 120],
      [2, 1, 300, 0.03, 240],
    ],
  );
});

test("run.finished sets the outcome and the final totals", () => {
  const finished = [
    ...events(),
    {
      runId: "r",
      at: 2,
      type: "run.finished",
      outcome: "verified",
      verified: true,
      reason: "ok",
      steps: 2,
      totals: totals(300, 0.03),
      failuresBefore: 3,
      failuresAfter: 0,
      patchHash: "h",
    } as unknown as LoopEvent,
  ];
  const { summary } = summarizeRun("r", finished);
  assert.equal(summary.status, "finished");
  assert.equal(summary.outcome, "verified");
  assert.equal(summary.failingNow, 0);
  assert.equal(summary.inputTokens, 300);
});
