// Resume reads the run's own event log. `step.finished` (and the run's start, the baseline
// verdict and a resume marker) are commit points: what follows the last commit point before a
// crash is an unfinished step, which is left in the append-only log but excluded from the
// trajectory, and done again. So the trajectory has every step exactly once and no gap.

import { hashPatch } from "../patch/index.ts";
import { UserError } from "../util/index.ts";
import type { LoopEvent, RunConfig, Totals } from "./loop-events.ts";
import { addUsage, emptyTotals } from "./run-budget.ts";
import type { StallSnapshot } from "./stall-detector.ts";

export interface ResumePlan {
  runId: string;
  config: RunConfig;
  /** The trajectory up to the last commit point: what the resumed run continues from. */
  events: LoopEvent[];
  lastStep: number;
  workspaceHash: string;
  totals?: Totals;
  stall?: StallSnapshot;
  /** Events of the unfinished step, kept in the log but not in the trajectory. */
  discardedEvents: number;
}

function isCommitPoint(event: LoopEvent): boolean {
  switch (event.type) {
    case "run.started":
    case "run.resumed":
    case "step.finished":
    case "run.finished":
      return true;
    case "verify.verdict":
      return event.reason === "baseline";
    default:
      return false;
  }
}

export interface Trajectory {
  /** Events that count, in order. */
  events: LoopEvent[];
  /** Events of steps that a crash cut short (each later redone after a `run.resumed`). */
  discarded: LoopEvent[];
  /** Events after the last commit point (an unfinished step, if the run is not over). */
  pending: LoopEvent[];
}

export function readTrajectory(log: LoopEvent[]): Trajectory {
  const events: LoopEvent[] = [];
  const discarded: LoopEvent[] = [];
  let committed = 0;
  for (const event of log) {
    if (event.type === "run.resumed") discarded.push(...events.splice(committed));
    events.push(event);
    if (isCommitPoint(event)) committed = events.length;
  }
  return { events: events.slice(0, committed), discarded, pending: events.slice(committed) };
}

export function planResume(log: LoopEvent[]): ResumePlan {
  const started = log.find((e) => e.type === "run.started");
  if (!started) throw new UserError("this run's event log has no run.started event; it cannot be resumed");
  // An interrupted run (Ctrl-C) may go on; any other ending is final.
  if (
    log.findLast((e) => e.type === "run.finished" || e.type === "run.resumed")?.type === "run.finished" &&
    log.findLast((e) => e.type === "run.finished")?.outcome !== "interrupted"
  )
    throw new UserError(
      `run ${started.runId} already finished; 'closedloop show ${started.runId}' prints it`,
    );
  const { events, pending } = readTrajectory(log);
  const lastFinished = events.findLast((e) => e.type === "step.finished");
  let totals = lastFinished?.totals;
  // Model calls of the unfinished step were paid for, and so may its failed attempts be.
  for (const event of pending) {
    if (event.type !== "model.response" && event.type !== "model.retry" && event.type !== "model.error")
      continue;
    if (!event.usage) continue;
    totals = addUsage(totals ?? emptyTotals(), event.usage, event.costUsd ?? 0);
  }
  return {
    runId: started.runId,
    config: started.config,
    events,
    lastStep: lastFinished?.step ?? 0,
    workspaceHash: lastFinished?.workspaceHash ?? hashPatch(""),
    ...(totals ? { totals } : {}),
    ...(lastFinished ? { stall: lastFinished.stall } : {}),
    discardedEvents: pending.length,
  };
}
