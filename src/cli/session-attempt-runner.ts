// The fleet's AttemptRunner as the CLI builds it: one attempt is one embedded run session (the same
// one `run` and `resume` use), with a run id fixed by the job. If that run already has a
// trajectory — another worker started it and died — it is resumed from it, not started over;
// if it already finished, its result is read back and nothing runs.
import type { AttemptJob, AttemptResult, AttemptRunner, WitnessEntry } from "../fleet/index.ts";
import { workerName } from "../fleet/index.ts";
import { type LoopEvent, type LoopEventOf, planResume } from "../loop/index.ts";
import { resolveModelId } from "../model/index.ts";
import { hashPatch } from "../patch/index.ts";
import { RunNotFoundError, RunStore } from "../store/index.ts";
import { filterProtectedPatch, parseVerifierSpec } from "../verify/index.ts";
import {
  absoluteModelId,
  buildRunConfig,
  type LaunchSpec,
  runSession,
  sealHiddenChecks,
} from "./run-session.ts";

function readRunEvents(store: RunStore, runId: string): LoopEvent[] {
  try {
    return store.readEvents<LoopEvent>(runId).events;
  } catch (error) {
    if (error instanceof RunNotFoundError) return [];
    throw error;
  }
}

/** The run's final event, unless a resume came after it (an interrupted run went on). */
function finalEvent(events: LoopEvent[]): LoopEventOf<"run.finished"> | undefined {
  const last = events.findLast((e) => e.type === "run.finished" || e.type === "run.resumed");
  return last?.type === "run.finished" ? last : undefined;
}

function isWitness(value: unknown): value is WitnessEntry[] {
  return Array.isArray(value) && value.every((e) => e && typeof e === "object" && typeof e.id === "string");
}

function resultOf(job: AttemptJob, store: RunStore, events: LoopEvent[]): AttemptResult {
  const finished = finalEvent(events);
  const started = events.find((e) => e.type === "run.started");
  if (!finished || !started) throw new Error(`run ${job.runId} has no end in its log`);
  const report = JSON.parse(store.readResult(job.runId, "report.json") ?? "{}") as Record<string, unknown>;
  // patch.diff is written after run.finished (and after the sandbox is disposed); a worker
  // that died in between left the patch only in the run's checkpoints: write it out now.
  let patch = store.readResult(job.runId, "patch.diff");
  if (patch === undefined) {
    // A rollback can make an older checkpoint the final tree: the one whose hash matches counts.
    const candidates = events
      .filter((e): e is LoopEventOf<"checkpoint.saved"> => e.type === "checkpoint.saved")
      .map(
        (e) =>
          filterProtectedPatch(e.patch, {
            protect: started.config.verify.protect,
            allowEdit: started.config.verify.allowEdit ?? [],
          }).patch,
      )
      .reverse();
    patch = [...candidates, ""].find((p) => hashPatch(p) === finished.patchHash);
    if (patch === undefined)
      throw new Error(
        `run ${job.runId}: its handed-over patch is not in its log; run 'closedloop show ${job.runId}'`,
      );
    store.writeResult(job.runId, "patch.diff", patch);
  }
  const witness = {
    ...(isWitness(report.failToPass) ? { failToPass: report.failToPass } : {}),
    ...(isWitness(report.passToPass) ? { passToPass: report.passToPass } : {}),
  };
  return {
    instanceId: job.instanceId,
    attempt: job.attempt,
    runId: job.runId,
    model: started.config.model.id,
    outcome: finished.outcome,
    verified: finished.verified,
    reason: finished.reason,
    steps: finished.steps,
    tokens: { input: finished.totals.inputTokens, output: finished.totals.outputTokens },
    costUsd: finished.totals.costUsd,
    timeMs: finished.totals.elapsedMs,
    patch,
    failuresBefore: finished.failuresBefore,
    failuresAfter: finished.failuresAfter,
    ...witness,
    worker: workerName,
    finishedAt: Date.now(),
  };
}

/** The run an attempt job starts (exported for its test). */
export function launchFor(job: AttemptJob): LaunchSpec {
  const spec = parseVerifierSpec({
    verify: job.verify,
    protect: job.protect,
    ...(job.allowEdit ? { allowEdit: job.allowEdit } : {}),
    hidden: job.hidden,
    ...(job.browserChecks ? { browserChecks: job.browserChecks } : {}),
    ...(job.verifyTimeoutMs !== undefined ? { timeoutMs: job.verifyTimeoutMs } : {}),
  });
  const modelId = absoluteModelId(resolveModelId({ flag: job.model }));
  return sealHiddenChecks(job.runId, {
    // Sandbox knobs and model settings the CLI passed through (limits, env, prices …).
    ...(job.launchExtras as Partial<LaunchSpec> | undefined),
    // The record's test lists, as `run --fail-to-pass/--pass-to-pass` give them to the witness.
    ...(job.failToPass || job.passToPass
      ? { witness: { failToPass: job.failToPass ?? [], passToPass: job.passToPass ?? [] } }
      : {}),
    modelId,
    backend: job.sandbox,
    allowNet: job.allowNet,
    spec,
    ...(job.systemPrompt ? { systemPrompt: job.systemPrompt } : {}),
  });
}

export function createSessionAttemptRunner(): AttemptRunner {
  return async (job, signal) => {
    const store = new RunStore(job.runsDir);
    const events = readRunEvents(store, job.runId);
    if (!finalEvent(events)) {
      if (events.some((e) => e.type === "run.started")) {
        const plan = planResume(events);
        await runSession({
          runId: job.runId,
          config: plan.config,
          launch: plan.config.launch as unknown as LaunchSpec,
          output: "plain",
          runsDir: job.runsDir,
          resume: plan,
          embedded: { onEvent: () => {}, signal },
        });
      } else {
        const launch = launchFor(job);
        await runSession({
          runId: job.runId,
          config: buildRunConfig(job.task, job.workspace, launch, job.budgets),
          launch,
          output: "plain",
          runsDir: job.runsDir,
          embedded: { onEvent: () => {}, signal },
        });
      }
    }
    return resultOf(job, store, readRunEvents(store, job.runId));
  };
}
