// Best-of-n: the attempts of one task run side by side in their own sandboxes, and the verifier,
// not the model, picks. `first` takes the first verified attempt and cancels the rest;
// `smallest` waits for all and takes the smallest verified patch.
import type { AttemptJob, AttemptResult } from "./attempt.ts";
import type { AttemptQueue } from "./attempt-queue.ts";
import { markTaskDecided } from "./attempt-store.ts";

export type PickRule = "first" | "smallest";

export interface TaskAttempts {
  /** The attempt whose patch is handed over: a verified one if any was verified. */
  picked: AttemptResult;
  /** Every attempt, in attempt order. */
  attempts: AttemptResult[];
}

export function parsePickRule(text: string): PickRule | undefined {
  return text === "first" || text === "smallest" ? text : undefined;
}

/** Which attempt counts, once all are in. Without a verified one: the fewest failures left. */
export function pickAttempt(results: AttemptResult[], rule: PickRule): AttemptResult {
  if (results.length === 0) throw new Error("pickAttempt: no attempts");
  const byAttempt = [...results].sort((a, b) => a.attempt - b.attempt);
  const verified = byAttempt.filter((r) => r.verified);
  if (verified.length > 0) {
    if (rule === "first")
      return [...verified].sort((a, b) => a.finishedAt - b.finishedAt || a.attempt - b.attempt)[0]!;
    return [...verified].sort((a, b) => a.patch.length - b.patch.length || a.attempt - b.attempt)[0]!;
  }
  const rank = (r: AttemptResult) => (r.outcome === "cancelled" || r.outcome === "error" ? 2 : 1);
  const left = (r: AttemptResult) => r.failuresAfter ?? Number.POSITIVE_INFINITY;
  return [...byAttempt].sort((a, b) => rank(a) - rank(b) || left(a) - left(b) || a.attempt - b.attempt)[0]!;
}

export async function runTaskAttempts(
  queue: AttemptQueue,
  jobs: AttemptJob[],
  rule: PickRule,
  onAttempt?: (result: AttemptResult) => void,
): Promise<TaskAttempts> {
  if (jobs.length === 0) throw new Error("runTaskAttempts: no jobs");
  const cancels = jobs.map(() => new AbortController());
  let winner: AttemptResult | undefined;
  const settled = await Promise.allSettled(
    jobs.map(async (job, i) => {
      const result = await queue.run(job, cancels[i]!.signal);
      onAttempt?.(result);
      if (rule === "first" && result.verified && !winner) {
        winner = result;
        // The mark reaches workers in other processes; the signals reach this one's.
        if (jobs.length > 1) markTaskDecided(job.outDir, job.instanceId, job.runId);
        for (const [j, c] of cancels.entries()) if (j !== i) c.abort();
      }
      return result;
    }),
  );
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) throw (failed as PromiseRejectedResult).reason;
  const attempts = settled
    .map((s) => (s as PromiseFulfilledResult<AttemptResult>).value)
    .sort((a, b) => a.attempt - b.attempt);
  return { picked: winner ?? pickAttempt(attempts, rule), attempts };
}
