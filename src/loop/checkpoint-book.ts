// Every workspace state the run reached (a checkpoint is the diff against the baseline, keyed
// by its content hash) and the verdicts they got, so a stalled run can go back to its best
// state: the one that fixes the most baseline failures and breaks no baseline pass, where a
// crash, a syntax error or an unparsed run ranks below every parsed one (Progress, from verify/).
// The empty diff, the user's own tree, is always there.
import { hashPatch } from "../patch/index.ts";
import { compareProgress, type Progress } from "../verify/index.ts";
import type { LoopEvent } from "./loop-events.ts";

export interface Checkpoint {
  hash: string;
  patch: string;
  step: number;
}

export interface ScoredCheckpoint extends Checkpoint {
  failingCount: number;
  progress: Progress;
  /** The step whose verifier run gave that count. */
  verifiedAt: number;
}

interface ScoredVerdict {
  hash: string;
  failingCount: number;
  progress: Progress;
  step: number;
}

/** A verdict logged before Progress existed: its count, as anonymous failures. */
function progressFromCount(failingCount: number): Progress {
  return {
    status: "parsed",
    failing: Array.from({ length: failingCount }, (_, i) => `#${i + 1}`),
    passing: 0,
    counted: false,
  };
}

export class CheckpointBook {
  static readonly emptyHash = hashPatch("");
  private readonly byHash = new Map<string, Checkpoint>();
  private readonly verdicts: ScoredVerdict[] = [];

  constructor() {
    this.byHash.set(CheckpointBook.emptyHash, { hash: CheckpointBook.emptyHash, patch: "", step: 0 });
  }

  has(hash: string): boolean {
    return this.byHash.has(hash);
  }

  get(hash: string): Checkpoint | undefined {
    return this.byHash.get(hash);
  }

  add(checkpoint: Checkpoint): void {
    if (!this.byHash.has(checkpoint.hash)) this.byHash.set(checkpoint.hash, checkpoint);
  }

  /** The first verdict scored is the baseline every later one is ranked against. */
  scoreVerdict(hash: string, failingCount: number, step: number, progress?: Progress): void {
    this.verdicts.push({ hash, failingCount, step, progress: progress ?? progressFromCount(failingCount) });
  }

  /** The best verified state (the earliest among equals: less to undo). */
  best(): ScoredCheckpoint | undefined {
    const baseline = this.verdicts[0];
    if (!baseline) return undefined;
    const best = this.verdicts.reduce((a, b) =>
      compareProgress(b.progress, a.progress, baseline.progress) < 0 ? b : a,
    );
    const checkpoint = this.byHash.get(best.hash);
    return (
      checkpoint && {
        ...checkpoint,
        failingCount: best.failingCount,
        progress: best.progress,
        verifiedAt: best.step,
      }
    );
  }

  /** Rebuilds the book from a run's events (resume). */
  replay(event: LoopEvent): void {
    if (event.type === "checkpoint.saved")
      this.add({ hash: event.hash, patch: event.patch, step: event.step });
    if (event.type === "verify.verdict")
      this.scoreVerdict(event.patchHash, event.failingCount, event.step, event.progress);
  }
}
