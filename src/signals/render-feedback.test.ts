import assert from "node:assert/strict";
import { test } from "node:test";
import { renderFeedback } from "./render-feedback.ts";
import type { Finding, SignalSummary } from "./types.ts";

const raw = { head: ["a", "b"], tail: [], totalLines: 2, totalChars: 4 };

function summary(partial: Partial<SignalSummary>): SignalSummary {
  return { failed: 0, passed: 0, errors: 0, status: "parsed", parsers: ["tsc"], ...partial };
}

test("many repeats of a few compile errors are listed once each, then by file with their lines", () => {
  const findings: Finding[] = [];
  for (let file = 1; file <= 12; file++)
    for (const line of [3, 9])
      findings.push({
        source: "tsc",
        kind: "compile-error",
        file: `src/f${file}.ts`,
        line,
        column: 5,
        message: "TS2304: Cannot find name 'x'.",
      });
  findings.push({
    source: "tsc",
    kind: "compile-error",
    file: "src/f1.ts",
    line: 20,
    column: 1,
    message: "TS1005: ';' expected.",
  });
  const text = renderFeedback({
    summary: summary({ errors: 25 }),
    findings,
    dropped: 0,
    raw,
    budgetTokens: 2000,
  });
  assert.match(text, /^Compile errors \(25 in 12 files\):$/m);
  assert.match(text, /^ {2}E1 TS2304: Cannot find name 'x'\. \(×24\)$/m);
  assert.match(text, /^ {2}E2 TS1005: ';' expected\. \(×1\)$/m);
  assert.match(text, /^src\/f1\.ts: E1 3,9 E2 20$/m);
  assert.match(text, /^src\/f12\.ts: E1 3,9$/m);
});

test("failing tests are grouped by file, share their suite prefix, and say a repeated message once", () => {
  const at = (test: string, line: number, message: string): Finding => ({
    source: "jest",
    kind: "test-failure",
    test,
    file: "test/cart.test.js",
    line,
    column: 7,
    message,
  });
  const findings = [
    at("cart > totals > adds tax", 10, "expect.toBe: expected 5, received 4"),
    at("cart > totals > rounds", 20, "expect.toBe: expected 5, received 4"),
    at("cart > empty", 30, "TypeError: items is undefined"),
  ];
  const text = renderFeedback({
    summary: summary({ failed: 3, parsers: ["jest"] }),
    findings,
    dropped: 0,
    raw,
    budgetTokens: 2000,
  });
  assert.match(text, /^test\/cart\.test\.js, in "cart":$/m);
  assert.match(text, /^ {2}10:7 totals > adds tax: expect\.toBe: expected 5, received 4$/m);
  assert.match(text, /^ {2}20:7 totals > rounds: \(same error\)$/m);
  assert.match(text, /^ {2}30:7 empty: TypeError: items is undefined$/m);
});

test("when the names alone exceed the budget the list is cut and says so", () => {
  const findings: Finding[] = Array.from({ length: 400 }, (_, i) => ({
    source: "jest",
    kind: "test-failure",
    test: `a rather long test name that takes space number ${i}`,
    file: `test/f${i}.test.js`,
    line: 1,
    message: `failure ${i}`,
  }));
  const text = renderFeedback({
    summary: summary({ failed: 400 }),
    findings,
    dropped: 0,
    raw,
    budgetTokens: 500,
  });
  assert.match(text, /more lines of findings cut to fit the budget/);
  assert.ok(text.length <= 500 * 4 * 1.05);
});
