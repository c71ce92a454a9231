// Public face of the fleet: many runs — batch files, best-of-n picked by the verifier, and
// the queue that carries attempts (in this process by default, BullMQ on Redis to scale out).
export {
  AttemptInterruptedError,
  type AttemptJob,
  type AttemptOutcome,
  type AttemptResult,
  type AttemptRunner,
  attemptRunId,
  type BackendName,
  unrunResult,
  type WitnessEntry,
} from "./attempt.ts";
export type { AttemptQueue } from "./attempt-queue.ts";
export { executeAttempt, readAttemptResult, recordAttemptResult, workerName } from "./attempt-store.ts";
export { type BatchResultLine, readResultLines, resultsPath } from "./batch-results.ts";
export { type BatchSummary, formatSummaryTable } from "./batch-summary.ts";
export {
  type PickRule,
  parsePickRule,
  pickAttempt,
  runTaskAttempts,
  type TaskAttempts,
} from "./best-of-n.ts";
export { createInProcessQueue } from "./in-process-queue.ts";
export {
  type BatchOptions,
  type BatchProgress,
  type BatchRun,
  runBatch,
  type TaskDefaults,
} from "./run-batch.ts";
export { type BadRecord, parseTaskFile, type TaskRecord } from "./task-record.ts";
/** BullMQ (and its Redis client) load only when a queue URL is given. */
export const loadBullmqQueue = () => import("./bullmq-queue.ts");
