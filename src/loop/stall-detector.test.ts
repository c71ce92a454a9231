import assert from "node:assert/strict";
import { test } from "node:test";
import { StallDetector } from "./index.ts";

const thresholds = { repeat: 3, noChangeSteps: 4, noShrinkRuns: 3, oscillationReturns: 2 };

test("the same call with the same observation three times is a stall, escalating nudge → rollback → stop", () => {
  const detector = new StallDetector(thresholds);
  const actions: string[] = [];
  for (let i = 0; i < 9; i++) {
    detector.recordToolResult("edit_file", { path: "a" }, "oldText not found");
    detector.recordWorkspace(`state-${i}`);
    const signal = detector.endStep();
    if (signal) actions.push(`${signal.kind}:${signal.action}`);
  }
  assert.deepEqual(actions, ["repeat:nudge", "repeat:rollback", "repeat:stop"]);
});

test("the same command with a different observation is not a repeat", () => {
  const detector = new StallDetector(thresholds);
  for (let i = 0; i < 6; i++) {
    detector.recordToolResult("shell", { command: "npm test" }, `${5 - i} failing`);
    detector.recordWorkspace(`state-${i}`);
    assert.equal(detector.endStep(), undefined);
  }
});

test("the same failing set over three more verifier runs is a stall; progress resets the level", () => {
  const detector = new StallDetector(thresholds);
  detector.recordVerdict(3, "a b c");
  detector.recordVerdict(3, "a b c");
  detector.recordVerdict(4, "a b c d");
  assert.equal(detector.endStep(), undefined);
  detector.recordVerdict(3, "a b c");
  detector.recordVerdict(4, "a b c d");
  assert.equal(detector.endStep()?.kind, "no-shrink");
  detector.recordVerdict(1, "a");
  assert.equal(detector.snapshot().level, 0, "fewer failures than ever before is progress");
});

test("different failing sets of the same size are movement, not a stall", () => {
  const detector = new StallDetector(thresholds);
  detector.recordVerdict(2, "a b");
  for (const set of ["a c", "b c", "c d", "d e", "e f"]) detector.recordVerdict(2, set);
  assert.equal(detector.endStep(), undefined);
});

test("reading a new file every step is exploration: no no-change stall however long", () => {
  const detector = new StallDetector(thresholds);
  for (let i = 0; i < 30; i++) {
    detector.recordToolResult("read_file", { path: `src/f${i}.ts` }, `contents ${i}`);
    detector.recordWorkspace("unchanged");
    assert.equal(detector.endStep(), undefined, `step ${i}`);
  }
});

test("repeat counts decay while the agent keeps learning, and fire when it goes round in circles", () => {
  const detector = new StallDetector(thresholds);
  const signals: string[] = [];
  // The same look at package.json every few steps, with new reads in between: no stall.
  for (let i = 0; i < 12; i++) {
    if (i % 3 === 0) detector.recordToolResult("read_file", { path: "package.json" }, "{}");
    else detector.recordToolResult("read_file", { path: `src/f${i}.ts` }, `contents ${i}`);
    detector.recordWorkspace(`state-${i}`);
    const signal = detector.endStep();
    if (signal) signals.push(signal.kind);
  }
  assert.deepEqual(signals, []);
  // Now only the same look, step after step: a repeat.
  for (let i = 0; i < 3; i++) detector.recordToolResult("read_file", { path: "package.json" }, "{}");
  assert.equal(detector.endStep()?.kind, "repeat");
});

test("steps without a workspace change and a workspace going back and forth are stalls", () => {
  const still = new StallDetector(thresholds);
  const kinds: string[] = [];
  for (let i = 0; i < 5; i++) {
    still.recordWorkspace("same");
    const signal = still.endStep();
    if (signal) kinds.push(signal.kind);
  }
  assert.deepEqual(kinds, ["no-change"]);

  const flip = new StallDetector(thresholds);
  const seen: string[] = [];
  for (const state of ["A", "B", "A", "B"]) {
    flip.recordWorkspace(state);
    const signal = flip.endStep();
    if (signal) seen.push(signal.kind);
  }
  assert.deepEqual(seen, ["oscillation"]);
});

test("a detector rebuilt from its snapshot continues exactly where it was", () => {
  const first = new StallDetector(thresholds);
  first.recordToolResult("read_file", { path: "x" }, "same");
  first.recordToolResult("read_file", { path: "x" }, "same");
  first.endStep();
  const second = new StallDetector(thresholds, first.snapshot());
  second.recordToolResult("read_file", { path: "x" }, "same");
  assert.equal(second.endStep()?.kind, "repeat");
});

test("after a quiet stretch, reaching a new workspace state lowers the level again", () => {
  const detector = new StallDetector(thresholds);
  for (let i = 0; i < 3; i++) detector.recordToolResult("read_file", { path: "x" }, "same");
  detector.recordWorkspace("A");
  assert.equal(detector.endStep()?.action, "nudge");
  for (const state of ["B", "C", "D", "E"]) {
    detector.recordWorkspace(state);
    assert.equal(detector.endStep(), undefined);
  }
  detector.recordWorkspace("F");
  detector.endStep();
  assert.equal(detector.snapshot().level, 0);
  for (let i = 0; i < 3; i++) detector.recordToolResult("read_file", { path: "x" }, "same");
  assert.equal(detector.endStep()?.action, "nudge", "a later stall starts from a nudge again");
});
