// What the batch and best-of-n see of a queue: hand it an attempt, get its result. Where the
// attempt runs (this process, or a worker that took it from Redis) is the queue's business.
import type { AttemptJob, AttemptResult } from "./attempt.ts";

export interface AttemptQueue {
  /** "in-process" or the Redis URL, for progress lines and summary.json. */
  readonly name: string;
  /**
   * Settles with the attempt's recorded result. Aborting `cancel` stops the attempt (or keeps
   * it from starting); it then settles as "cancelled".
   */
  run(job: AttemptJob, cancel: AbortSignal): Promise<AttemptResult>;
  /** Stops taking work; attempts still running in this process are interrupted, to resume later. */
  close(): Promise<void>;
}
