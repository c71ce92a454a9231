// The default queue: attempts run in this process, at most `concurrency` at a time, in the
// order they were submitted. No Redis, no second process; `batch` on one machine needs nothing else.
import type { AttemptJob, AttemptResult, AttemptRunner } from "./attempt.ts";
import type { AttemptQueue } from "./attempt-queue.ts";
import { type ExecuteOptions, executeAttempt } from "./attempt-store.ts";

interface Pending {
  job: AttemptJob;
  cancel: AbortSignal;
  resolve: (result: AttemptResult) => void;
  reject: (error: unknown) => void;
}

export interface InProcessQueueOptions extends ExecuteOptions {
  concurrency: number;
  runner: AttemptRunner;
}

export function createInProcessQueue(options: InProcessQueueOptions): AttemptQueue {
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1)
    throw new Error(`in-process queue: concurrency ${options.concurrency} is not a positive whole number`);
  const waiting: Pending[] = [];
  const shutdown = new AbortController();
  let running = 0;

  const start = (entry: Pending) => {
    running++;
    executeAttempt(entry.job, options.runner, entry.cancel, shutdown.signal, options)
      .then(entry.resolve, entry.reject)
      .finally(() => {
        running--;
        pump();
      });
  };
  const pump = () => {
    while (running < options.concurrency && waiting.length > 0 && !shutdown.signal.aborted)
      start(waiting.shift()!);
  };

  return {
    name: "in-process",
    run(job, cancel) {
      return new Promise<AttemptResult>((resolve, reject) => {
        const entry: Pending = { job, cancel, resolve, reject };
        // An attempt cancelled while it waits is settled at once (recorded as cancelled).
        cancel.addEventListener(
          "abort",
          () => {
            const index = waiting.indexOf(entry);
            if (index >= 0) start(waiting.splice(index, 1)[0]!);
          },
          { once: true },
        );
        waiting.push(entry);
        pump();
      });
    },
    async close() {
      shutdown.abort();
      for (const entry of waiting.splice(0)) entry.reject(new Error("the queue was closed"));
    },
  };
}
