// `closedloop worker --queue redis://HOST:PORT`: takes attempts from the batch queue and runs
// them, N at a time, until stopped. Ctrl-C / SIGTERM stops taking jobs; running attempts stop
// after their current step and go back on the queue, where a worker resumes them.
import { loadBullmqQueue } from "../fleet/index.ts";
import { parseDuration, UserError } from "../util/index.ts";
import { type FlagTable, formatFlagHelp, parseFlagTable } from "./flag-table.ts";
import { parsePositiveFlag } from "./fleet-flags.ts";
import { createSessionAttemptRunner } from "./session-attempt-runner.ts";

const workerFlags = {
  queue: { value: "URL", help: "the Redis that 'closedloop batch --queue URL' puts attempts on (required)" },
  concurrency: { value: "N", help: "attempts at once (default 1)" },
  "lock-duration": {
    value: "DUR",
    help: "how long a job stays this worker's without a renewal (default 5m;\nrenewed every half of it while the attempt runs, however long its steps)",
  },
  "stalled-interval": { value: "DUR", help: "how often dead workers' jobs are looked for (default 1m)" },
  quiet: { help: "no line per job" },
  help: { short: "h", help: "this text" },
} as const satisfies FlagTable;

const usage = `usage: closedloop worker --queue redis://HOST:PORT [options]

${formatFlagHelp(workerFlags)}

Workers must see the batch's --out folder at the same path (same machine, or a shared mount).`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlagTable(workerFlags, argv, "worker");
  if (values.help) {
    console.log(usage);
    return 0;
  }
  if (!values.queue) throw new UserError("--queue redis://HOST:PORT is required (the batch's queue)");
  const concurrency = parsePositiveFlag("concurrency", values.concurrency, true) ?? 1;
  const { startBullmqWorker } = await loadBullmqQueue();
  const say = (text: string) => {
    if (!values.quiet) console.log(`${new Date().toISOString()} ${text}`);
  };
  const worker = await startBullmqWorker({
    url: values.queue,
    runner: createSessionAttemptRunner(),
    concurrency,
    ...(values["lock-duration"]
      ? { lockDurationMs: parseDuration(values["lock-duration"], "--lock-duration") }
      : {}),
    ...(values["stalled-interval"]
      ? { stalledIntervalMs: parseDuration(values["stalled-interval"], "--stalled-interval") }
      : {}),
    onJob: (event, job, detail) => say(`${event} ${job.runId}${detail ? `: ${detail}` : ""}`),
  });
  say(`worker ${process.pid} on ${values.queue}, ${concurrency} at a time`);
  let stopping = false;
  const stop = () => {
    if (stopping) process.exit(130);
    stopping = true;
    say(
      "stopping: running attempts end after their current step and go back on the queue (again to quit now)",
    );
    void worker.close();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  await worker.closed;
  return 0;
}
