// `<out>/results.jsonl`: one line per finished task, in field names a SWE-bench user knows
// (instance_id, model_name_or_path, model_patch, resolved, tests_status with FAIL_TO_PASS and
// PASS_TO_PASS), plus what a loop adds: outcome, steps, tokens, cost, time, run id, and every
// attempt of a best-of-n. One process (the batch) appends it; a task already in it is never
// appended again, so a resumed batch leaves each task exactly once.
import { appendFileSync, closeSync, existsSync, fsyncSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { AttemptResult, WitnessEntry } from "./attempt.ts";
import type { TaskAttempts } from "./best-of-n.ts";
import type { TaskRecord } from "./task-record.ts";

export interface TestStatusSplit {
  success: string[];
  failure: string[];
}

export interface AttemptSummary {
  attempt: number;
  run_id: string;
  model: string;
  outcome: string;
  resolved: boolean;
  steps: number;
  cost_usd: number;
  time_ms: number;
  patch_bytes: number;
}

export interface BatchResultLine {
  instance_id: string;
  model_name_or_path: string;
  model_patch: string;
  resolved: boolean;
  outcome: string;
  reason: string;
  /** From the verifier's witness; null when the run recorded none. */
  tests_status: { FAIL_TO_PASS: TestStatusSplit; PASS_TO_PASS: TestStatusSplit } | null;
  /** The lists the task record gave, as given (empty when it gave none). */
  FAIL_TO_PASS: string[];
  PASS_TO_PASS: string[];
  failures_before: number | null;
  failures_after: number | null;
  steps: number;
  tokens: { input: number; output: number };
  cost_usd: number;
  time_ms: number;
  /** From the first attempt's start to the pick, as the batch saw it. */
  wall_time_ms: number;
  run_id: string;
  attempt: number;
  attempts: AttemptSummary[];
}

export function resultsPath(outDir: string): string {
  return join(outDir, "results.jsonl");
}

const passed = (status: string) => status === "pass" || status === "passed";

function splitWitness(entries: WitnessEntry[] | undefined): TestStatusSplit {
  const list = entries ?? [];
  return {
    success: list.filter((e) => passed(e.after)).map((e) => e.id),
    failure: list.filter((e) => !passed(e.after)).map((e) => e.id),
  };
}

function summarizeAttempt(r: AttemptResult): AttemptSummary {
  return {
    attempt: r.attempt,
    run_id: r.runId,
    model: r.model,
    outcome: r.outcome,
    resolved: r.verified,
    steps: r.steps,
    cost_usd: r.costUsd,
    time_ms: r.timeMs,
    patch_bytes: Buffer.byteLength(r.patch),
  };
}

export function formatResultLine(
  task: TaskRecord,
  outcome: TaskAttempts,
  wallTimeMs: number,
): BatchResultLine {
  const p = outcome.picked;
  const sum = (f: (r: AttemptResult) => number) => outcome.attempts.reduce((n, r) => n + f(r), 0);
  const hasWitness = p.failToPass !== undefined || p.passToPass !== undefined;
  return {
    instance_id: task.instanceId,
    model_name_or_path: p.model,
    model_patch: p.patch,
    resolved: p.verified,
    outcome: p.outcome,
    reason: p.reason,
    tests_status: hasWitness
      ? { FAIL_TO_PASS: splitWitness(p.failToPass), PASS_TO_PASS: splitWitness(p.passToPass) }
      : null,
    FAIL_TO_PASS: task.failToPass ?? [],
    PASS_TO_PASS: task.passToPass ?? [],
    failures_before: p.failuresBefore,
    failures_after: p.failuresAfter,
    // Steps, tokens and cost count every attempt: that is what the task cost.
    steps: sum((r) => r.steps),
    tokens: { input: sum((r) => r.tokens.input), output: sum((r) => r.tokens.output) },
    cost_usd: sum((r) => r.costUsd),
    time_ms: sum((r) => r.timeMs),
    wall_time_ms: Math.round(wallTimeMs),
    run_id: p.runId,
    attempt: p.attempt,
    attempts: outcome.attempts.map(summarizeAttempt),
  };
}

/**
 * Every line of results.jsonl. A line that is not JSON can only be one a crash cut short
 * (this file is only ever appended whole lines, each ended before the next): it is left out,
 * and its task counts as not done, so it runs (resumes) again.
 */
export function readResultLines(outDir: string): BatchResultLine[] {
  const path = resultsPath(outDir);
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .flatMap((line) => {
      if (line.trim() === "") return [];
      try {
        return [JSON.parse(line) as BatchResultLine];
      } catch {
        return [];
      }
    });
}

/** Appends and fsyncs one line; a torn tail left by a crash is ended first so it stays one bad line. */
export function appendResultLine(outDir: string, line: BatchResultLine): void {
  const path = resultsPath(outDir);
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const prefix = text.length > 0 && !text.endsWith("\n");
  appendFileSync(path, `${prefix ? "\n" : ""}${JSON.stringify(line)}\n`);
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
