// Every workspace state the run reached (a checkpoint is the diff against the baseline, keyed
// by its content hash) and the verdicts they got, so a stalled run can go back to the state
// with the fewest failures. The empty diff, the user's own tree, is always there.

import { hashPatch } from "../patch/index.ts";
import type { LoopEvent } from "./loop-events.ts";

export interface Checkpoint {
  hash: string;
  patch: string;
  step: number;
}

export interface ScoredCheckpoint extends Checkpoint {
  failingCount: number;
  /** The step whose verifier run gave that count. */
  verifiedAt: number;
}

export class CheckpointBook {
  static readonly emptyHash = hashPatch("");
  private readonly byHash = new Map<string, Checkpoint>();
  private readonly verdicts: { hash: string; failingCount: number; step: number }[] = [];

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

  scoreVerdict(hash: string, failingCount: number, step: number): void {
    this.verdicts.push({ hash, failingCount, step });
  }

  /** The verified state with the fewest failures; the earliest among equals (less to undo). */
  best(): ScoredCheckpoint | undefined {
    if (this.verdicts.length === 0) return undefined;
    const best = this.verdicts.reduce((a, b) => (b.failingCount < a.failingCount ? b : a));
    const checkpoint = this.byHash.get(best.hash);
    return checkpoint && { ...checkpoint, failingCount: best.failingCount, verifiedAt: best.step };
  }

  /** Rebuilds the book from a run's events (resume). */
  replay(event: LoopEvent): void {
    if (event.type === "checkpoint.saved")
      this.add({ hash: event.hash, patch: event.patch, step: event.step });
    if (event.type === "verify.verdict") this.scoreVerdict(event.patchHash, event.failingCount, event.step);
  }
}
