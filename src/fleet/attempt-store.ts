// Where attempt results and cancel marks live: `<out>/attempts/<run-id>.json` and
// `<out>/attempts/<instance>.decided`. Workers on one machine (or on a shared mount) see the
// same folder, so it is the one source of truth for "this attempt is done".
//
// The result write is exclusive: the file is written whole under a temporary name and then
// hard-linked into place, which fails if another worker got there first. So an attempt that
// two workers both finished (one was wrongly thought dead) is recorded exactly once, and a
// reader never sees half a file.
import { randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { fsyncDirectory, writeFileAtomic } from "../store/index.ts";
import { UserError } from "../util/index.ts";
import {
  AttemptInterruptedError,
  type AttemptJob,
  type AttemptResult,
  type AttemptRunner,
  unrunResult,
} from "./attempt.ts";

export const workerName = `${hostname()}:${process.pid}`;

function attemptsDir(outDir: string): string {
  return join(outDir, "attempts");
}

export function attemptResultPath(outDir: string, runId: string): string {
  return join(attemptsDir(outDir), `${runId}.json`);
}

export function readAttemptResult(outDir: string, runId: string): AttemptResult | undefined {
  const path = attemptResultPath(outDir, runId);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, "utf8")) as AttemptResult;
}

/** Records `result` unless one is already recorded; returns the one that counts. */
export function recordAttemptResult(outDir: string, result: AttemptResult): AttemptResult {
  const dir = attemptsDir(outDir);
  mkdirSync(dir, { recursive: true });
  const final = attemptResultPath(outDir, result.runId);
  const temp = join(dir, `.${result.runId}.${randomBytes(4).toString("hex")}.tmp`);
  writeFileSync(temp, `${JSON.stringify(result)}\n`, { mode: 0o644, flush: true });
  try {
    linkSync(temp, final);
    fsyncDirectory(dir);
    return result;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return readAttemptResult(outDir, result.runId)!;
  } finally {
    unlinkSync(temp);
  }
}

function decidedPath(outDir: string, instanceId: string): string {
  return join(attemptsDir(outDir), `${instanceId}.decided`);
}

/** Marks a task as decided: its attempts still running stop, those not started never run. */
export function markTaskDecided(outDir: string, instanceId: string, byRunId: string): void {
  mkdirSync(attemptsDir(outDir), { recursive: true });
  writeFileAtomic(decidedPath(outDir, instanceId), `${byRunId}\n`);
}

export function isTaskDecided(outDir: string, instanceId: string): boolean {
  return existsSync(decidedPath(outDir, instanceId));
}

export interface ExecuteOptions {
  /** How often a running attempt looks for its task's decided mark (ms). */
  cancelPollMs?: number;
}

/**
 * Runs one job the way every queue does: an attempt already recorded is not run again, an
 * attempt whose task is decided is cancelled, and the result is recorded exclusively.
 * `signal` aborting means "cancel this attempt" (it is recorded as cancelled); `shutdown`
 * aborting means "this worker is stopping" (nothing is recorded; AttemptInterruptedError).
 */
export async function executeAttempt(
  job: AttemptJob,
  runner: AttemptRunner,
  signal: AbortSignal,
  shutdown?: AbortSignal,
  options: ExecuteOptions = {},
): Promise<AttemptResult> {
  const existing = readAttemptResult(job.outDir, job.runId);
  if (existing) return existing;
  if (signal.aborted || isTaskDecided(job.outDir, job.instanceId))
    return recordAttemptResult(
      job.outDir,
      unrunResult(job, "cancelled", "another attempt of this task was picked first", workerName),
    );
  const stop = new AbortController();
  let cancelled = false;
  const cancel = () => {
    cancelled = true;
    stop.abort();
  };
  signal.addEventListener("abort", cancel, { once: true });
  const onShutdown = () => stop.abort();
  shutdown?.addEventListener("abort", onShutdown, { once: true });
  const poll = setInterval(() => {
    if (isTaskDecided(job.outDir, job.instanceId)) cancel();
  }, options.cancelPollMs ?? 2000);
  poll.unref();
  try {
    const result = await runner(job, stop.signal);
    if (cancelled && result.outcome === "interrupted")
      return recordAttemptResult(job.outDir, {
        ...result,
        outcome: "cancelled",
        reason: "stopped: another attempt of this task was picked first",
      });
    if (result.outcome === "interrupted")
      throw new AttemptInterruptedError(
        `attempt ${job.runId} was interrupted; it resumes from its trajectory`,
      );
    return recordAttemptResult(job.outDir, result);
  } catch (error) {
    // A task this worker cannot start (unknown model, no sandbox, bad verifier) is an
    // outcome of that attempt: recorded with the message, not retried forever.
    if (!UserError.isInstance(error)) throw error;
    return recordAttemptResult(job.outDir, unrunResult(job, "error", error.message, workerName));
  } finally {
    clearInterval(poll);
    signal.removeEventListener("abort", cancel);
    shutdown?.removeEventListener("abort", onShutdown);
  }
}
