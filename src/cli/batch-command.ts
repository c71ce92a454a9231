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
  type TaskDefaults,
} from "../fleet/index.ts";
import { UserError } from "../util/index.ts";
import { createBatchRenderer } from "./batch-progress.ts";
import { fleetFlags, parseFleetFlags } from "./fleet-flags.ts";
import { ignoreClosedStdout } from "./progress-renderer.ts";
import { loadFileConfig, outputMode, parseFlags, sharedOptions } from "./run-options.ts";
import { createSessionAttemptRunner } from "./session-attempt-runner.ts";

export const batchUsage = `usage: closedloop batch TASKS.jsonl --out DIR [options]

A task record (one JSON object a line): instance_id; workspace (a folder) or repo + base_commit
(a local path or file:// URL, checked out into DIR/workspaces); task (or problem_statement);
verify, protect, hidden (lists of commands / globs); fail_to_pass, pass_to_pass (test lists);
max_steps, max_cost, max_time; model. What a record leaves out comes from the flags below,
then the workspace's closedloop.config.json.

  --out DIR             results.jsonl, summary.json, runs/ and attempts/ go here (required)
  --concurrency N       attempts running at once in this process (default 2); with --queue,
                        tasks in flight at once (default 64)
  --attempts N          attempts per task, in parallel sandboxes (default 1)
  --pick RULE           first (default: the first verified attempt, the rest cancelled) or
                        smallest (wait for all, hand over the smallest verified patch)
  --model ID            model of the attempts; repeat to spread attempts over several models
  --verify CMD, --protect GLOB, --hidden CMD   defaults for records without them (repeatable)
  --max-steps N, --max-cost USD, --max-time DUR, --max-tokens N   per-attempt budgets
  --max-total-cost USD  start no new task once the batch has spent this much
  --sandbox NAME        local (isolated, default) or process (NO isolation)
  --allow-net HOST      host the sandboxes may reach (repeatable)
  --redo                run every task again (the old results.jsonl is kept as results.gN.jsonl)
  --queue redis://HOST:PORT   put attempts on a BullMQ queue; 'closedloop worker' processes run them
  --json                one results.jsonl line per finished task on stdout
  --plain               plain lines even on a terminal

Exit code: 0 when every task has a result (resolved or not), 1 when some have none (bad
record, not run, interrupted), 2 for a usage error.`;

function workspaceDefaults(workspace: string): TaskDefaults {
  const c = loadFileConfig(workspace);
  const out: TaskDefaults = {};
  if (c.verify) out.verify = c.verify;
  if (c.protect) out.protect = c.protect;
  if (c.hidden) out.hidden = c.hidden;
  if (c.model) out.models = [c.model];
  if (c.maxSteps) out.maxSteps = c.maxSteps;
  if (c.maxCost) out.maxCostUsd = c.maxCost;
  if (c.maxTokens) out.maxTokens = c.maxTokens;
  if (c.sandbox) out.sandbox = c.sandbox;
  if (c.allowNet) out.allowNet = c.allowNet;
  if (c.systemPrompt) out.systemPrompt = resolve(workspace, c.systemPrompt);
  return out;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: {
      ...sharedOptions,
      ...fleetFlags,
      out: { type: "string" },
      concurrency: { type: "string" },
      redo: { type: "boolean" },
      "max-total-cost": { type: "string" },
      queue: { type: "string" },
    },
  });
  if (values.help) {
    console.log(batchUsage);
    return 0;
  }
  const [tasksFile, ...extra] = positionals;
  if (!tasksFile) throw new UserError("which tasks? closedloop batch TASKS.jsonl --out DIR");
  if (extra.length > 0) throw new UserError(`one tasks file at a time (got also ${extra.join(" ")})`);
  if (!values.out) throw new UserError("--out DIR is required: results.jsonl and the runs go there");
  const fleet = parseFleetFlags(values);
  const concurrency = fleet.positive("concurrency", values.concurrency, true);
  const maxTotalCost = fleet.positive("max-total-cost", values["max-total-cost"], false);
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
      attempts: fleet.attempts,
      pick: fleet.pick,
      redo: values.redo ?? false,
      ...(maxTotalCost !== undefined ? { maxTotalCostUsd: maxTotalCost } : {}),
      flags: fleet.defaults,
      workspaceDefaults,
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
