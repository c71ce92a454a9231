// Scale-out: attempts as BullMQ jobs on Redis. The batch adds one job per attempt (its id fixed
// by the batch folder and run id, so adding it again is a no-op) and watches the shared
// attempts folder for the result; `closedloop worker` processes take jobs and run them.
//
// A worker SIGKILLed mid-run stops renewing its job's lock; BullMQ's stalled-job check puts the
// job back, and the next worker finds the run's trajectory and resumes it. The lock is renewed
// every lockDuration/2 while the run goes on, however long a step takes, so the lock only has
// to outlast a blocked event loop or a Redis hiccup: the defaults (5 min lock, 1 min stall
// check) move a dead worker's attempt on within ~6 minutes; tests shorten them.
import { createHash } from "node:crypto";
import { connect } from "node:net";
import { Job, Queue, Worker } from "bullmq";
import { UserError } from "../util/index.ts";
import { type AttemptJob, type AttemptResult, type AttemptRunner, unrunResult } from "./attempt.ts";
import type { AttemptQueue } from "./attempt-queue.ts";
import {
  executeAttempt,
  isTaskDecided,
  readAttemptResult,
  recordAttemptResult,
  workerName,
} from "./attempt-store.ts";

export const queueName = "closedloop-attempts";

export interface RedisConnection {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
  /** BullMQ's workers block on Redis; ioredis must not give up on those calls. */
  maxRetriesPerRequest: null;
}

export function parseRedisUrl(url: string): RedisConnection {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`--queue ${url}: write a Redis URL such as redis://127.0.0.1:6379`);
  }
  if (parsed.protocol !== "redis:")
    throw new UserError(`--queue ${url}: only redis://HOST:PORT[/DB] is supported`);
  const db = parsed.pathname.replace(/^\//, "");
  if (db !== "" && !/^\d+$/.test(db))
    throw new UserError(`--queue ${url}: the database after / must be a number`);
  return {
    host: parsed.hostname || "127.0.0.1",
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db !== "" ? { db: Number(db) } : {}),
    maxRetriesPerRequest: null,
  };
}

/** ioredis retries a dead address forever; say so at once instead of hanging. */
async function checkReachable(c: RedisConnection, url: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host: c.host, port: c.port });
    const fail = (why: string) => {
      socket.destroy();
      reject(
        new UserError(`cannot reach Redis at ${url} (${why}): start redis-server there, or check --queue`),
      );
    };
    socket.setTimeout(5000, () => fail("no answer in 5s"));
    socket.once("error", (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    socket.once("connect", () => {
      socket.end();
      resolve();
    });
  });
}

function jobIdOf(job: AttemptJob): string {
  const batch = createHash("sha256").update(job.outDir).digest("hex").slice(0, 12);
  return `${batch}.${job.runId}`;
}

export interface BullmqQueueOptions {
  url: string;
  /** How often the batch looks for results (ms). */
  pollMs?: number;
  /** BullMQ retries of an attempt whose worker stopped or failed (each resumes the run). */
  retries?: number;
}

export async function createBullmqQueue(o: BullmqQueueOptions): Promise<AttemptQueue> {
  const connection = parseRedisUrl(o.url);
  await checkReachable(connection, o.url);
  const queue = new Queue(queueName, { connection });
  queue.on("error", () => {}); // reconnects are ioredis's job; a lost Redis shows as no progress
  const pollMs = o.pollMs ?? 500;
  let closed = false;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  return {
    name: o.url,
    async run(job, cancel): Promise<AttemptResult> {
      const jobId = jobIdOf(job);
      const recorded = readAttemptResult(job.outDir, job.runId);
      if (recorded) return recorded;
      const submit = () =>
        queue.add("attempt", job, {
          jobId,
          attempts: o.retries ?? 20,
          backoff: { type: "fixed", delay: 1000 },
          removeOnComplete: { age: 7 * 86_400 },
          removeOnFail: { age: 7 * 86_400 },
        });
      const existing = await Job.fromId(queue, jobId);
      if (existing && (await existing.getState()) === "failed") await existing.retry();
      else if (!existing) await submit();
      let polls = 0;
      while (!closed) {
        const result = readAttemptResult(job.outDir, job.runId);
        if (result) return result;
        // The state is asked less often than the folder is looked at: it costs a round trip.
        if (polls++ % 4 === 0) {
          const state = await queue.getJobState(jobId);
          // Redis lost the job (restarted without persistence, flushed): put it back.
          if (state === "unknown" && !readAttemptResult(job.outDir, job.runId) && !cancel.aborted)
            await submit();
          if (state === "failed") {
            const failed = await Job.fromId(queue, jobId);
            return recordAttemptResult(
              job.outDir,
              unrunResult(
                job,
                "error",
                `the attempt failed on its workers: ${failed?.failedReason ?? "unknown"}`,
                workerName,
              ),
            );
          }
          if (
            (cancel.aborted || isTaskDecided(job.outDir, job.instanceId)) &&
            (state === "waiting" || state === "delayed")
          ) {
            const waiting = await Job.fromId(queue, jobId);
            await waiting?.remove().catch(() => {}); // a worker may have just taken it
            if (waiting && (await queue.getJobState(jobId)) === "unknown")
              return recordAttemptResult(
                job.outDir,
                unrunResult(job, "cancelled", "another attempt of this task was picked first", workerName),
              );
          }
        }
        await sleep(pollMs);
      }
      throw new Error("the queue was closed");
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue.close();
    },
  };
}

export interface BullmqWorkerOptions {
  url: string;
  runner: AttemptRunner;
  concurrency: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Times one job may be found stalled (its worker died) before it fails. */
  maxStalledCount?: number;
  cancelPollMs?: number;
  onJob?: (event: "started" | "finished" | "handed-on", job: AttemptJob, detail?: string) => void;
}

export interface RunningWorker {
  /** Stops taking jobs; running attempts stop after their current step and are handed on. */
  close(): Promise<void>;
  closed: Promise<void>;
}

export async function startBullmqWorker(o: BullmqWorkerOptions): Promise<RunningWorker> {
  const connection = parseRedisUrl(o.url);
  await checkReachable(connection, o.url);
  const shutdown = new AbortController();
  const never = new AbortController().signal;
  const worker = new Worker(
    queueName,
    async (job: Job<AttemptJob>) => {
      o.onJob?.("started", job.data);
      try {
        const result = await executeAttempt(job.data, o.runner, never, shutdown.signal, {
          ...(o.cancelPollMs ? { cancelPollMs: o.cancelPollMs } : {}),
        });
        o.onJob?.("finished", job.data, result.outcome);
        return result.outcome;
      } catch (error) {
        o.onJob?.("handed-on", job.data, (error as Error).message);
        throw error;
      }
    },
    {
      connection,
      concurrency: o.concurrency,
      lockDuration: o.lockDurationMs ?? 5 * 60_000,
      stalledInterval: o.stalledIntervalMs ?? 60_000,
      maxStalledCount: o.maxStalledCount ?? 10,
    },
  );
  worker.on("error", () => {});
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  await worker.waitUntilReady();
  return {
    closed,
    async close() {
      shutdown.abort();
      await worker.close();
      resolveClosed();
    },
  };
}
