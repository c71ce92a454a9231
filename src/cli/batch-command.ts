// `closedloop batch TASKS.jsonl --out DIR`: every task of a JSONL file, each as one or more
// attempts on a queue (this process by default; BullMQ on Redis with --queue), with results in
// DIR/results.jsonl and DIR/summary.json. Running it again continues where it stopped.
import { resolve } from "node:path";
import {
  type AttemptQueue,
  createInProcessQueue,
  formatSummaryTable,
  loadBullmqQueue,
  runBatch,
} from "../fleet/index.ts";
import { UserError } from "../util/index.ts";
import { createBatchRenderer } from "./batch-progress.ts";
import { formatFlagHelp, parseFlagTable } from "./flag-table.ts";
import { batchFlags, parsePick, parsePositiveFlag, taskDefaultsFor } from "./fleet-flags.ts";
import { ignoreClosedStdout } from "./progress-renderer.ts";
import { outputMode } from "./run-options.ts";
import { createSessionAttemptRunner } from "./session-attempt-runner.ts";

export const batchUsage = `usage: closedloop batch TASKS.jsonl --out DIR [options]

A task record (one JSON object a line): instance_id; workspace (a folder) or repo + base_commit
(a local path or file:// URL, checked out into DIR/workspaces); task (or problem_statement);
verify, protect, allow_edit, hidden (lists); fail_to_pass, pass_to_pass (test lists); max_steps, max_cost,
max_time; model. What a record leaves out comes from the flags below, then the workspace's
closedloop.config.json. Running the same command again continues where it stopped.

${formatFlagHelp(batchFlags)}

Exit code: 0 when every record has a result (resolved or not), 1 when some have none (a bad
record, not run, interrupted), 2 for a usage error.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlagTable(batchFlags, argv, "batch", { positionals: true });
  if (values.help) {
    console.log(batchUsage);
    return 0;
  }
  const [tasksFile, ...extra] = positionals;
  if (!tasksFile) throw new UserError("which tasks? closedloop batch TASKS.jsonl --out DIR");
  if (extra.length > 0) throw new UserError(`one tasks file at a time (got also ${extra.join(" ")})`);
  if (!values.out) throw new UserError("--out DIR is required: results.jsonl and the runs go there");
  const concurrency = parsePositiveFlag("concurrency", values.concurrency, true);
  const attempts =
    parsePositiveFlag("attempts", values.attempts, true) ?? Math.max(1, values.model?.length ?? 1);
  const pick = parsePick(values.pick);
  const maxTotalCost = parsePositiveFlag("max-total-cost", values["max-total-cost"], false);
  // Flags that are wrong are wrong for every task: said once, now, not once per task.
  taskDefaultsFor(values);
  const outDir = resolve(values.out);
  const output = outputMode(values);
  ignoreClosedStdout();

  let queue: AttemptQueue;
  if (values.queue) {
    const { createBullmqQueue } = await loadBullmqQueue();
    queue = await createBullmqQueue({ url: values.queue });
  } else
    queue = createInProcessQueue({ concurrency: concurrency ?? 2, runner: createSessionAttemptRunner() });

  const renderer = createBatchRenderer(output);
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    stop.abort();
    renderer.note(
      "closedloop batch: stopping; running attempts end after their current step (again to quit now)",
    );
    void queue.close();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const { summary, unfinished } = await runBatch({
      tasksFile: resolve(tasksFile),
      outDir,
      queue,
      taskWindow: concurrency ?? (values.queue ? 64 : 2),
      attempts,
      pick,
      redo: values.redo ?? false,
      ...(maxTotalCost !== undefined ? { maxTotalCostUsd: maxTotalCost } : {}),
      defaultsFor: (workspace) => taskDefaultsFor(values, workspace),
      signal: stop.signal,
      onBadRecord: (p) => renderer.note(`${tasksFile}:${p.line}: bad record skipped: ${p.message}`),
      onNotRun: (task, reason) => renderer.note(`${task.instanceId}: not run: ${reason}`),
      onTaskStarted: (task, progress) => renderer.started(task, progress),
      onTaskFinished: (line, progress) => renderer.finished(line, progress),
    });
    renderer.close();
    if (output !== "json") {
      console.log(`\n${formatSummaryTable(summary)}`);
      console.log(
        `results: ${resolve(outDir, "results.jsonl")}\nsummary: ${resolve(outDir, "summary.json")}`,
      );
      if (stop.signal.aborted) console.log("interrupted: run the same command again to resume");
    } else console.log(JSON.stringify({ summary }));
    return unfinished === 0 ? 0 : 1;
  } finally {
    renderer.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await queue.close();
  }
}
