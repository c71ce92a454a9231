// Notices a loop that has stopped making progress, from four signs: the same failing set
// (the failure fingerprint) coming back over N verifier runs without getting better, the
// workspace returning to earlier states (oscillation), K steps with neither a workspace change
// nor anything new observed, and the same tool call getting the same observation again
// (observations are compared, not just commands, so re-running tests after an edit is not a
// false alarm). Exploring is not stalling: a step that reads something never seen before is
// progress of its own, and it lets older repeat counts decay. Each sign escalates one level:
// nudge, then roll back, then stop.
// Real progress (fewer failures than ever before) drops the level back to zero; a quiet stretch
// (no sign for noChangeSteps steps) that reaches a new workspace state lowers it by one, so an
// early nudge does not turn into a rollback much later in a healthy run.
import { createHash } from "node:crypto";
import type { StallAction, StallKind } from "./loop-events.ts";

export interface StallThresholds {
  /** Identical (call, observation) pairs before it counts as a repeat. */
  repeat: number;
  noChangeSteps: number;
  noShrinkRuns: number;
  /** Returns to an earlier (not the latest) workspace state. */
  oscillationReturns: number;
}

export const defaultStallThresholds: StallThresholds = {
  repeat: 3,
  noChangeSteps: 8,
  noShrinkRuns: 3,
  oscillationReturns: 2,
};

export interface StallSignal {
  kind: StallKind;
  action: StallAction;
  detail: string;
}

/** Everything the detector knows, small enough to store in every `step.finished` event. */
export interface StallSnapshot {
  level: number;
  repeats: Record<string, number>;
  stepsWithoutChange: number;
  runsWithoutShrink: number;
  bestFailing: number | null;
  /** Failure fingerprints seen since the last real progress (bounded). */
  failingSets?: string[];
  states: string[];
  returns: number;
  /** Steps since the last signal. */
  quietSteps: number;
}

const actions: StallAction[] = ["nudge", "rollback", "stop"];
const maxRemembered = 200;

function shortHash(text: string): string {
  return createHash("sha1").update(text).digest("hex").slice(0, 16);
}

export class StallDetector {
  private state: StallSnapshot;
  private pending: Omit<StallSignal, "action">[] = [];
  /** Whether this step observed anything not seen before (exploration). */
  private stepNovel = false;
  private readonly stepKeys = new Set<string>();

  constructor(
    private readonly thresholds: StallThresholds = defaultStallThresholds,
    snapshot?: StallSnapshot,
  ) {
    this.state = snapshot
      ? structuredClone(snapshot)
      : {
          level: 0,
          repeats: {},
          stepsWithoutChange: 0,
          runsWithoutShrink: 0,
          bestFailing: null,
          states: [],
          returns: 0,
          quietSteps: 0,
        };
  }

  snapshot(): StallSnapshot {
    return structuredClone(this.state);
  }

  get bestFailing(): number | null {
    return this.state.bestFailing;
  }

  recordToolResult(name: string, args: unknown, observation: string): void {
    const key = shortHash(`${name}\0${JSON.stringify(args)}\0${observation}`);
    const repeats = this.state.repeats;
    const count = (repeats[key] ?? 0) + 1;
    if (count === 1) this.stepNovel = true;
    this.stepKeys.add(key);
    delete repeats[key]; // re-insert so the map stays ordered by recency
    repeats[key] = count;
    const keys = Object.keys(repeats);
    if (keys.length > maxRemembered) delete repeats[keys[0]!];
    if (count >= this.thresholds.repeat) {
      repeats[key] = 0;
      this.pending.push({
        kind: "repeat",
        detail: `${name} made the same call and got the same result ${count} times`,
      });
    }
  }

  /**
   * `failing` ranks the run (lower is better; the loop passes the failing count of a parsed
   * run and a large number for a crash); `failingSet` is its failure fingerprint. Only a set
   * seen before counts toward a stall: different failures mean the model is moving.
   */
  recordVerdict(failing: number, failingSet: string = String(failing)): void {
    const best = this.state.bestFailing;
    this.state.failingSets ??= [];
    const sets = this.state.failingSets;
    if (best === null || failing < best) {
      if (best !== null) this.state.level = 0;
      this.state.bestFailing = failing;
      this.state.runsWithoutShrink = 0;
      sets.length = 0;
      sets.push(failingSet);
      return;
    }
    if (!sets.includes(failingSet)) {
      sets.push(failingSet);
      if (sets.length > 50) sets.shift();
      return;
    }
    this.state.runsWithoutShrink += 1;
    if (this.state.runsWithoutShrink >= this.thresholds.noShrinkRuns) {
      this.pending.push({
        kind: "no-shrink",
        detail: `the failing set has not shrunk below ${best} over ${this.state.runsWithoutShrink} verifier runs`,
      });
      this.state.runsWithoutShrink = 0;
    }
  }

  /** Called once per step with the content hash of the workspace diff after it. */
  recordWorkspace(hash: string): void {
    const states = this.state.states;
    const latest = states.at(-1);
    if (latest === undefined) {
      states.push(hash);
      return;
    }
    if (hash === latest) {
      // Reading, searching, listing: a step that learned something new is not standing still.
      if (this.stepNovel) return;
      this.state.stepsWithoutChange += 1;
      if (this.state.stepsWithoutChange >= this.thresholds.noChangeSteps) {
        this.pending.push({
          kind: "no-change",
          detail: `${this.state.stepsWithoutChange} steps without a change to the workspace`,
        });
        this.state.stepsWithoutChange = 0;
      }
      return;
    }
    this.state.stepsWithoutChange = 0;
    const quiet = this.state.quietSteps >= this.thresholds.noChangeSteps;
    if (!states.includes(hash) && this.state.level > 0 && quiet) {
      this.state.level -= 1;
      this.state.quietSteps = 0;
    }
    if (states.includes(hash)) {
      this.state.returns += 1;
      if (this.state.returns >= this.thresholds.oscillationReturns) {
        this.pending.push({
          kind: "oscillation",
          detail: `the workspace went back to an earlier state ${this.state.returns} times`,
        });
        this.state.returns = 0;
      }
    }
    states.push(hash);
    if (states.length > maxRemembered) states.shift();
  }

  /** After a rollback the workspace is a known-good state; start counting afresh from it. */
  recordRollback(hash: string): void {
    this.state.stepsWithoutChange = 0;
    this.state.runsWithoutShrink = 0;
    this.state.returns = 0;
    this.state.repeats = {};
    this.state.states.push(hash);
  }

  /** A step that saw something new makes every older repeat count one less likely to fire. */
  private decayRepeats(): void {
    const repeats = this.state.repeats;
    for (const key of Object.keys(repeats)) {
      if (this.stepKeys.has(key)) continue;
      const count = repeats[key]! - 1;
      if (count <= 0) delete repeats[key];
      else repeats[key] = count;
    }
  }

  /** The step's verdict on stalling: at most one escalation per step, whatever fired. */
  endStep(): StallSignal | undefined {
    const fired = this.pending;
    this.pending = [];
    if (this.stepNovel) this.decayRepeats();
    this.stepNovel = false;
    this.stepKeys.clear();
    if (fired.length === 0) {
      this.state.quietSteps = (this.state.quietSteps ?? 0) + 1;
      return undefined;
    }
    this.state.quietSteps = 0;
    this.state.level = Math.min(this.state.level + 1, actions.length);
    const action = actions[this.state.level - 1]!;
    return {
      kind: fired[0]!.kind,
      action,
      detail: fired.map((signal) => signal.detail).join("; "),
    };
  }
}
