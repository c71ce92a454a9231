// `closedloop worker --queue redis://HOST:PORT`: takes attempts from the batch queue and runs
// them, N at a time, until stopped. Ctrl-C / SIGTERM stops taking jobs; running attempts stop
// after their current step and go back on the queue, where a worker resumes them.
import { loadBullmqQueue } from "../fleet/index.ts";
import { parseDuration, UserError } from "../util/index.ts";
import { parsePositiveFlag } from "./fleet-flags.ts";
import { parseFlags } from "./run-options.ts";
import { createSessionAttemptRunner } from "./session-attempt-runner.ts";

const usage = `usage: closedloop worker --queue redis://HOST:PORT [options]

  --queue URL            the Redis that 'closedloop batch --queue URL' puts attempts on (required)
  --concurrency N        attempts at once (default 1)
  --lock-duration DUR    how long a job stays this worker's without a renewal (default 5m;
                         renewed every half of it while the attempt runs, however long its steps)
  --stalled-interval DUR how often dead workers' jobs are looked for (default 1m)
  --quiet                no line per job

Workers must see the batch's --out folder at the same path (same machine, or a shared mount).`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags({
    args: argv,
    options: {
      queue: { type: "string" },
      concurrency: { type: "string" },
      "lock-duration": { type: "string" },
      "stalled-interval": { type: "string" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
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
