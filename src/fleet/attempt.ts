// One job of the fleet is one attempt of one task: everything a worker (in this process or on
// another machine) needs to start it, or to resume it from its trajectory, is in AttemptJob.
import type { RunOutcome } from "../loop/index.ts";
import type { BrowserCheckSpec } from "../verify/index.ts";

export type BackendName = "local" | "process";

export interface AttemptJob {
  instanceId: string;
  /** 1-based. */
  attempt: number;
  /** Fixed by instance, attempt and batch generation, so a second worker finds the first's run. */
  runId: string;
  /** The batch's folder: attempt results and cancel marks live under it (shared by all workers). */
  outDir: string;
  runsDir: string;
  task: string;
  workspace: string;
  /** A model id; absent means the configured default. */
  model?: string;
  verify: string[];
  protect: string[];
  /** Protected paths the model may change anyway (`--allow-edit`); absent means none. */
  allowEdit?: string[];
  hidden: string[];
  browserChecks?: BrowserCheckSpec[];
  verifyTimeoutMs?: number;
  /**
   * Settings the CLI hands through to the run unread by the fleet (sandbox limits, env,
   * host ports, model prices): JSON, so they travel in a Redis job as well.
   */
  launchExtras?: Record<string, unknown>;
  /** The user-given tests that must go from failing to passing / keep passing. */
  failToPass?: string[];
  passToPass?: string[];
  budgets: { maxSteps: number; maxCostUsd?: number; maxTimeMs?: number; maxTokens?: number };
  sandbox: BackendName;
  allowNet: string[];
  systemPrompt?: string;
}

/** A run's end, or the fleet's: "cancelled" (another attempt won) and "error" (it could not run). */
export type AttemptOutcome = RunOutcome | "cancelled" | "error";

/** One test's status at baseline and on the candidate (the verifier's witness). */
export interface WitnessEntry {
  id: string;
  before: string;
  after: string;
}

export interface AttemptResult {
  instanceId: string;
  attempt: number;
  runId: string;
  /** The model id as the run saw it, e.g. `anthropic:claude-sonnet-4-5` or `scripted:/…/turns.json`. */
  model: string;
  outcome: AttemptOutcome;
  verified: boolean;
  reason: string;
  steps: number;
  tokens: { input: number; output: number };
  costUsd: number;
  /** Active time of the run across every process that worked on it. */
  timeMs: number;
  patch: string;
  failuresBefore: number | null;
  failuresAfter: number | null;
  failToPass?: WitnessEntry[];
  passToPass?: WitnessEntry[];
  /** host:pid of the worker that finished it. */
  worker: string;
  finishedAt: number;
}

/** Runs one attempt (start or resume) to its end. Thrown errors are bugs or a stop to retry later. */
export type AttemptRunner = (job: AttemptJob, signal: AbortSignal) => Promise<AttemptResult>;

/**
 * The attempt was stopped before its end for a reason that is not its own (its worker is
 * shutting down): it must be handed on and resumed, not recorded.
 */
export class AttemptInterruptedError extends Error {
  override readonly name = "AttemptInterruptedError";
}

export function attemptRunId(instanceId: string, attempt: number, generation = 1): string {
  return generation === 1 ? `${instanceId}.a${attempt}` : `${instanceId}.r${generation}.a${attempt}`;
}

/** A result for an attempt that never ran its loop (cancelled before start, or could not start). */
export function unrunResult(
  job: AttemptJob,
  outcome: "cancelled" | "error",
  reason: string,
  worker: string,
): AttemptResult {
  return {
    instanceId: job.instanceId,
    attempt: job.attempt,
    runId: job.runId,
    model: job.model ?? "(default)",
    outcome,
    verified: false,
    reason,
    steps: 0,
    tokens: { input: 0, output: 0 },
    costUsd: 0,
    timeMs: 0,
    patch: "",
    failuresBefore: null,
    failuresAfter: null,
    worker,
    finishedAt: Date.now(),
  };
}
