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
  // The runner counted 4 failures and 3 were parsed: partial, so today's full form.
  const text = renderFeedback({
    summary: summary({ failed: 4, parsers: ["jest"] }),
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

test("a complete parse keeps names, lines and messages but says repeats by ditto and keeps only the runner's totals", () => {
  const at = (test: string, line: number, message: string): Finding => ({
    source: "vitest",
    kind: "test-failure",
    test,
    file: "test/cart.test.js",
    line,
    column: 7,
    message,
  });
  const findings = [
    at("cart > adds tax", 10, "expected 5 to be 4"),
    at("cart > rounds", 20, "expected 5 to be 4"),
    at("cart > sums", 30, "expected { total: 12, count: 2 } to deeply equal { total: 11, count: 2 }"),
    at("cart > sums twice", 40, "expected { total: 24, count: 2 } to deeply equal { total: 22, count: 2 }"),
  ];
  const log = ["RUN v3", ...Array.from({ length: 300 }, (_, i) => `noise ${i}`)];
  const text = renderFeedback({
    summary: summary({ failed: 4, passed: 6, parsers: ["vitest"] }),
    findings,
    dropped: 0,
    raw: {
      head: log,
      tail: [" Tests  4 failed | 6 passed (10)", "noise after"],
      totalLines: 302,
      totalChars: 3000,
      totals: [" Tests  4 failed | 6 passed (10)"],
    },
    budgetTokens: 2000,
  });
  assert.match(text, /^ {2}10 adds tax: expected 5 to be 4$/m);
  assert.match(text, /^ {2}20 rounds: 〃$/m);
  assert.match(text, /^ {2}40 sums twice: 〃 but 24, 22$/m);
  assert.match(text, /^--- runner's totals ---\nTests 4 failed \| 6 passed \(10\)$/m);
  assert.doesNotMatch(text, /noise/);
  assert.doesNotMatch(text, /RUN v3/);
});

test("a parse that found fewer failures than the runner counted keeps the raw head and tail", () => {
  const text = renderFeedback({
    exitCode: 1,
    summary: summary({ failed: 2, parsers: ["vitest"] }),
    findings: [
      { source: "vitest", kind: "test-failure", test: "a > b", file: "t.test.js", line: 3, message: "boom" },
    ],
    dropped: 0,
    raw: { head: ["RUN v3"], tail: ["last line"], totalLines: 500, totalChars: 5000, totals: [] },
    budgetTokens: 2000,
  });
  assert.match(text, /^--- output: 500 lines/m);
  assert.match(text, /^RUN v3$/m);
  assert.match(text, /^ {2}3 b: boom$|^ {2}3 a > b: boom$/m);
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
