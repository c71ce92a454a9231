// A batch, start to end: read the tasks file (bad lines reported and skipped), skip tasks that
// already have a result, and keep up to `taskWindow` tasks in flight, each as its attempts on
// the queue; append each task's line to results.jsonl as soon as it is decided. A task that was
// running when a previous batch died gets the same run ids again, so its attempts resume from
// their trajectories. The spend cap stops new tasks from starting; started ones finish.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { writeFileAtomic } from "../store/index.ts";
import { UserError } from "../util/index.ts";
import { type AttemptJob, attemptRunId, type BackendName } from "./attempt.ts";
import type { AttemptQueue } from "./attempt-queue.ts";
import { openBatchFolder } from "./batch-folder.ts";
import {
  appendResultLine,
  type BatchResultLine,
  formatResultLine,
  readResultLines,
} from "./batch-results.ts";
import { type BatchSummary, summarizeBatch } from "./batch-summary.ts";
import { type PickRule, runTaskAttempts } from "./best-of-n.ts";
import { type BadRecord, parseTaskFile, type TaskRecord } from "./task-record.ts";
import { prepareTaskWorkspace, TaskSetupError } from "./task-workspace.ts";

/** Settings a record does not give; the CLI fills them from flags, then closedloop.config.json. */
export interface TaskDefaults {
  verify?: string[];
  protect?: string[];
  allowEdit?: string[];
  hidden?: string[];
  /** Attempt i uses models[(i - 1) % models.length]; empty means the configured default. */
  models?: string[];
  maxSteps?: number;
  maxCostUsd?: number;
  maxTimeMs?: number;
  maxTokens?: number;
  sandbox?: BackendName;
  allowNet?: string[];
  systemPrompt?: string;
  verifyTimeoutMs?: number;
  /** Handed through to each attempt unread (see AttemptJob.launchExtras). */
  launchExtras?: Record<string, unknown>;
}

export interface BatchProgress {
  total: number;
  finished: number;
  resolved: number;
  costUsd: number;
  running: number;
}

export interface BatchOptions {
  tasksFile: string;
  outDir: string;
  queue: AttemptQueue;
  /** Tasks in flight at once (each with its attempts). */
  taskWindow: number;
  attempts: number;
  pick: PickRule;
  redo?: boolean;
  maxTotalCostUsd?: number;
  /** Defaults of the tasks in a workspace (the CLI: its flags, then that workspace's config). */
  defaultsFor: (workspace: string) => TaskDefaults;
  onBadRecord?: (problem: BadRecord) => void;
  onTaskStarted?: (task: TaskRecord, progress: BatchProgress) => void;
  onTaskFinished?: (line: BatchResultLine, progress: BatchProgress) => void;
  onNotRun?: (task: TaskRecord, reason: string) => void;
  /** Aborting stops new tasks; the caller closes the queue to interrupt running ones. */
  signal?: AbortSignal;
}

export interface BatchRun {
  summary: BatchSummary;
  /** Records of this file that have no result (bad, interrupted, not run, or set up badly). */
  unfinished: number;
}

export function attemptJobs(
  task: TaskRecord,
  workspace: string,
  o: Pick<BatchOptions, "attempts" | "defaultsFor" | "outDir">,
  generation: number,
): AttemptJob[] {
  const defaults = o.defaultsFor(workspace);
  const pick = <K extends keyof TaskDefaults>(key: K): TaskDefaults[K] => defaults[key];
  const verify = task.verify ?? pick("verify") ?? [];
  if (verify.length === 0)
    throw new TaskSetupError("no verifier: give verify in the record, --verify, or closedloop.config.json");
  const models = pick("models") ?? [];
  const allowEdit = task.allowEdit ?? pick("allowEdit") ?? [];
  return Array.from({ length: o.attempts }, (_, i): AttemptJob => {
    const model = task.model ?? models[i % Math.max(1, models.length)];
    const maxCostUsd = task.maxCostUsd ?? pick("maxCostUsd");
    const maxTimeMs = task.maxTimeMs ?? pick("maxTimeMs");
    const maxTokens = pick("maxTokens");
    const systemPrompt = pick("systemPrompt");
    const verifyTimeoutMs = pick("verifyTimeoutMs");
    const launchExtras = pick("launchExtras");
    return {
      instanceId: task.instanceId,
      attempt: i + 1,
      runId: attemptRunId(task.instanceId, i + 1, generation),
      outDir: o.outDir,
      runsDir: resolve(o.outDir, "runs"),
      task: task.task,
      workspace,
      ...(model ? { model } : {}),
      verify,
      protect: task.protect ?? pick("protect") ?? [],
      ...(allowEdit.length > 0 ? { allowEdit } : {}),
      hidden: task.hidden ?? pick("hidden") ?? [],
      ...(task.failToPass ? { failToPass: task.failToPass } : {}),
      ...(task.passToPass ? { passToPass: task.passToPass } : {}),
      budgets: {
        maxSteps: task.maxSteps ?? pick("maxSteps") ?? 30,
        ...(maxCostUsd !== undefined ? { maxCostUsd } : {}),
        ...(maxTimeMs !== undefined ? { maxTimeMs } : {}),
        ...(maxTokens !== undefined ? { maxTokens } : {}),
      },
      sandbox: pick("sandbox") ?? "local",
      allowNet: pick("allowNet") ?? [],
      ...(systemPrompt ? { systemPrompt } : {}),
      ...(verifyTimeoutMs !== undefined ? { verifyTimeoutMs } : {}),
      ...(launchExtras && Object.keys(launchExtras).length > 0 ? { launchExtras } : {}),
    };
  });
}

export async function runBatch(o: BatchOptions): Promise<BatchRun> {
  const started = performance.now();
  let content: string;
  try {
    content = readFileSync(o.tasksFile, "utf8");
  } catch (error) {
    throw new UserError(`cannot read ${o.tasksFile}: ${(error as Error).message}`);
  }
  const { tasks, problems } = parseTaskFile(content, dirname(resolve(o.tasksFile)));
  for (const problem of problems) o.onBadRecord?.(problem);
  const folder = openBatchFolder(o.outDir, o.redo ?? false);
  try {
    const done = new Set(readResultLines(o.outDir).map((l) => l.instance_id));
    const todo = tasks.filter((t) => !done.has(t.instanceId));
    const notRun: { instance_id: string; reason: string }[] = [];
    const progress: BatchProgress = {
      total: tasks.length,
      finished: tasks.length - todo.length,
      resolved: readResultLines(o.outDir).filter(
        (l) => l.resolved && tasks.some((t) => t.instanceId === l.instance_id),
      ).length,
      costUsd: 0,
      running: 0,
    };
    const skip = (task: TaskRecord, reason: string) => {
      notRun.push({ instance_id: task.instanceId, reason });
      o.onNotRun?.(task, reason);
    };

    const runOne = async (task: TaskRecord) => {
      const taskStart = performance.now();
      let jobs: AttemptJob[];
      try {
        const workspace = await prepareTaskWorkspace(task, o.outDir);
        jobs = attemptJobs(task, workspace, o, folder.generation);
      } catch (error) {
        // A checkout that fails or a workspace config that is wrong spoils this task only.
        if (!(error instanceof TaskSetupError) && !UserError.isInstance(error)) throw error;
        skip(task, `line ${task.line}: ${(error as Error).message}`);
        return;
      }
      progress.running++;
      o.onTaskStarted?.(task, progress);
      try {
        const outcome = await runTaskAttempts(o.queue, jobs, o.pick);
        const line = formatResultLine(task, outcome, performance.now() - taskStart);
        if (!done.has(task.instanceId)) {
          appendResultLine(o.outDir, line);
          done.add(task.instanceId);
        }
        progress.finished++;
        if (line.resolved) progress.resolved++;
        progress.costUsd += line.cost_usd;
        o.onTaskFinished?.(line, progress);
      } finally {
        progress.running--;
      }
    };

    // A fixed number of lanes, each taking the next task: at most taskWindow in flight.
    let next = 0;
    let firstError: unknown;
    const lane = async () => {
      while (next < todo.length && firstError === undefined) {
        const task = todo[next++]!;
        if (o.signal?.aborted) return;
        if (o.maxTotalCostUsd !== undefined && progress.costUsd >= o.maxTotalCostUsd) {
          skip(
            task,
            `--max-total-cost $${o.maxTotalCostUsd} reached ($${progress.costUsd.toFixed(4)} spent)`,
          );
          continue;
        }
        try {
          await runOne(task);
        } catch (error) {
          firstError ??= error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(o.taskWindow, todo.length)) }, lane));

    const ids = new Set(tasks.map((t) => t.instanceId));
    const lines = readResultLines(o.outDir).filter((l) => ids.has(l.instance_id));
    const summary = summarizeBatch({
      tasks: tasks.length,
      lines,
      badRecords: problems,
      notRun,
      queue: o.queue.name,
      batchWallTimeMs: performance.now() - started,
    });
    writeFileAtomic(resolve(o.outDir, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
    if (firstError !== undefined && !o.signal?.aborted) throw firstError;
    return { summary, unfinished: tasks.length - lines.length + problems.length };
  } finally {
    folder.release();
  }
}
