// What the signals module hands to everyone else: findings parsed from raw output, and
// the compacted feedback the model sees.

export type FindingKind =
  | "test-failure"
  | "compile-error"
  | "lint"
  | "runtime-error"
  | "server-error"
  | "browser";

export interface Finding {
  /** Which parser produced it: "tsc", "eslint", "node-test", "tap", "jest", "vitest", "mocha", "pytest", "go", "cargo", "junit", "generic", "server", "browser". */
  source: string;
  kind: FindingKind;
  file?: string;
  line?: number;
  column?: number;
  /** Full test name for test failures. */
  test?: string;
  message: string;
  /** A few lines of context (assertion diff, code frame), already trimmed. */
  excerpt?: string;
  /** Lint and compiler findings carry their severity; absent means "error". */
  severity?: "error" | "warning";
}

export interface SignalSummary {
  failed: number;
  passed: number;
  errors: number;
  /** Tests skipped (SKIP directives, `skip` totals), where the runner says. */
  skipped?: number;
  /** "parsed" when at least one parser understood the output; "unparsed" never means success. */
  status: "parsed" | "unparsed";
  parsers: string[];
}

export interface CompactFeedback {
  /** What the model sees: summary line, failures, what changed, head+tail of raw log. */
  text: string;
  findings: Finding[];
  summary: SignalSummary;
  /** Stable across line shifts, timestamps, temp paths, durations and ordering. */
  fingerprint: string;
  /**
   * Names of the tests that passed, where the runner prints them (TAP, node:test, mocha,
   * pytest -v, verbose jest/vitest); the baseline witness checks they still pass.
   */
  passingTests?: string[];
}
