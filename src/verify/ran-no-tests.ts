// A test command that exits 0 having run nothing proves nothing: a model that deletes or
// renames the tests (when they are not protected) would otherwise turn the verdict green.
// Node 20's `node --test` with no test files prints "# tests 0" and exits 0, for example.
// Only shapes that unambiguously come from a test runner are recognised, so a type-check or
// build command with empty output is never mistaken for one.
import type { SignalSummary } from "../signals/index.ts";

const testRunnerParsers = new Set(["node-test", "tap", "jest", "vitest", "mocha", "pytest", "junit"]);

const zeroTestPatterns: RegExp[] = [
  /^[#ℹ] tests\s+0\s*$/m, // node:test, TAP and spec reporters (tape aligns with two spaces)
  /^1\.\.0(\s|$)/m, // any TAP producer with an empty plan
  /No tests found, exiting with code 0/, // jest --passWithNoTests
  /^Tests:\s+0 total/m, // jest summary
  /No test files found/, // vitest --passWithNoTests
  /^\s*no tests ran\b/im, // pytest
];

const someTestsPatterns: RegExp[] = [/^[#ℹ] (pass|fail)\s+[1-9]/m, /^\s*[1-9]\d* (passing|failing)/m];

export function ranNoTests(raw: string, summary?: SignalSummary): boolean {
  if (someTestsPatterns.some((pattern) => pattern.test(raw))) return false;
  if (zeroTestPatterns.some((pattern) => pattern.test(raw))) return true;
  // mocha prints "0 passing" and nothing about failures when it found no tests.
  if (/^\s*0 passing/m.test(raw) && !/failing/.test(raw)) return true;
  if (
    summary?.status === "parsed" &&
    summary.passed + summary.failed + summary.errors === 0 &&
    summary.parsers.length > 0 &&
    summary.parsers.every((parser) => testRunnerParsers.has(parser))
  )
    return true;
  return false;
}
