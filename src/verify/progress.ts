// Progress is a value, not a number: a failing count says a syntax error that stops a file from
// loading (1 failure) beats 5 failing tests. Progress keeps what a run was (parsed, crashed,
// unparsed, error), which tests failed, and how many passed; compareProgress ranks two of them
// against the baseline: a run that fixes more baseline failures and breaks no baseline pass is
// better, and a crash, a syntax error or an unparsed run ranks below every parsed one.
import type { VerifyResult } from "./types.ts";

export type ProgressStatus = "parsed" | "crashed" | "unparsed" | "error";

export interface Progress {
  status: ProgressStatus;
  /** Sorted ids of what failed (test names; other findings by kind, file and message). */
  failing: string[];
  /** Tests that passed, as the runners count them. */
  passing: number;
  /** False for a verdict known only by its failing count (logged before Progress existed). */
  counted?: boolean;
}

// An error that means the code under test did not load or run, not that a test's assertion failed.
const crashMessage =
  /\b(?:SyntaxError|ReferenceError: \w+ is not defined|Cannot find module|ERR_MODULE_NOT_FOUND|ImportError|ModuleNotFoundError|IndentationError|Test suite failed to run|Failed to load)\b/;

export function progressOf(result: VerifyResult, failing: string[]): Progress {
  const passing = result.commands.reduce((n, c) => n + (c.hidden ? 0 : c.feedback.summary.passed), 0);
  if (result.verdict === "error") return { status: "error", failing, passing };
  const shown = result.commands.filter((c) => !c.hidden);
  let status: ProgressStatus = "parsed";
  if (shown.some((c) => !c.passed && c.feedback.summary.status === "unparsed")) status = "unparsed";
  const crashed = shown.some(
    (c) =>
      c.timedOut ||
      c.signal !== null ||
      (!c.passed &&
        c.feedback.findings.some(
          (f) => (f.kind === "runtime-error" || f.kind === "test-failure") && crashMessage.test(f.message),
        )),
  );
  if (crashed) status = "crashed";
  return { status, failing: [...new Set(failing)].sort(), passing };
}

/**
 * A parsed run that counted fewer tests than the baseline did lost some on the way (a file that
 * no longer loads, a runner stopped early): it is a crash, whatever its failing list says.
 */
export function crashedAgainst(progress: Progress, baseline: Progress): Progress {
  if (progress.status !== "parsed" || baseline.status !== "parsed") return progress;
  if (progress.counted === false || baseline.counted === false) return progress;
  // A compiler or linter counts no passing tests, only findings: fixing them all is not "fewer
  // ran". The count rule needs a baseline whose runner counted passes.
  if (baseline.passing === 0) return progress;
  const ranBefore = baseline.passing + baseline.failing.length;
  return progress.passing + progress.failing.length < ranBefore
    ? { ...progress, status: "crashed" }
    : progress;
}

const tier: Record<ProgressStatus, number> = { error: 0, unparsed: 1, crashed: 2, parsed: 3 };

export interface ProgressScore {
  tier: number;
  /** Baseline failures that no longer fail. */
  fixed: number;
  /** Failures that were not there at baseline (a baseline pass broken, or something new). */
  broken: number;
  failing: number;
}

/** How a progress value stands against the baseline's. */
export function scoreProgress(progress: Progress, baseline: Progress): ProgressScore {
  const before = new Set(baseline.failing);
  const now = new Set(progress.failing);
  let fixed = 0;
  for (const id of before) if (!now.has(id)) fixed++;
  let broken = 0;
  for (const id of now) if (!before.has(id)) broken++;
  const t = tier[crashedAgainst(progress, baseline).status];
  // Fixes only count when the fixed tests can have run: a crashed run fixes nothing.
  return { tier: t, fixed: t === tier.parsed ? fixed : 0, broken, failing: progress.failing.length };
}

/** Negative when `a` is better than `b` (sorts best first), 0 when they rank the same. */
export function compareProgress(a: Progress, b: Progress, baseline: Progress): number {
  const x = scoreProgress(a, baseline);
  const y = scoreProgress(b, baseline);
  if (x.tier !== y.tier) return y.tier - x.tier;
  const xClean = x.broken === 0;
  const yClean = y.broken === 0;
  if (xClean !== yClean) return xClean ? -1 : 1;
  if (x.fixed !== y.fixed) return y.fixed - x.fixed;
  if (x.broken !== y.broken) return x.broken - y.broken;
  return x.failing - y.failing;
}

/** One line for reports and rollback notes: `parsed, 2 failing, 7 passing`. */
export function formatProgress(progress: Progress): string {
  return `${progress.status}, ${progress.failing.length} failing, ${progress.passing} passing`;
}
