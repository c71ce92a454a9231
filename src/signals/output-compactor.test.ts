// Mechanics of the compactor that do not depend on any tool's format: streaming, ANSI,
// the head/tail cut, the budget, and saying "unparsed" instead of pretending success.
// Parsing real tool output is tested in parsers/*.int.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { estimateTokens } from "../util/index.ts";
import { compactOutput, createOutputCompactor } from "./index.ts";
import type { CompactFeedback } from "./types.ts";

function lines(n: number, prefix = "line"): string {
  return Array.from({ length: n }, (_, i) => `${prefix} ${i + 1} of a long log`).join("\n");
}

test("output nothing recognizes is reported as unparsed with its tail, never as a success", () => {
  const feedback = compactOutput(lines(5000), { exitCode: 3, command: "./build.sh" });
  assert.equal(feedback.summary.status, "unparsed");
  assert.deepEqual(feedback.findings, []);
  assert.match(feedback.text, /UNPARSED/);
  assert.match(feedback.text, /not a success/);
  assert.match(feedback.text, /line 5000 of a long log/, "the last line is shown");
  assert.match(feedback.text, /line 1 of a long log/, "the first line is shown");
  assert.match(feedback.text, /… \[\d+ lines cut\] …/, "the cut is marked");
  assert.match(feedback.text, /\(exit 3\)/);
});

test("the text stays within the token budget however long the output", () => {
  for (const budgetTokens of [300, 2000]) {
    const feedback = compactOutput(lines(20_000), { budgetTokens });
    assert.ok(
      estimateTokens(feedback.text) <= budgetTokens * 1.05,
      `${estimateTokens(feedback.text)} > ${budgetTokens}`,
    );
  }
});

test("short output is shown whole, without a cut marker", () => {
  const feedback = compactOutput("hello\nworld\n");
  assert.doesNotMatch(feedback.text, /lines cut/);
  assert.match(feedback.text, /hello\nworld/);
});

test("ANSI colours and carriage-return redraws are stripped", () => {
  const feedback = compactOutput("\u001b[31mred\u001b[39m text\nprogress 10%\rprogress 100%\n");
  assert.ok(!feedback.text.includes("\u001b"));
  assert.match(feedback.text, /^red text$/m);
  assert.match(feedback.text, /^progress 100%$/m);
  assert.doesNotMatch(feedback.text, /progress 10%\b/);
});

test("chunks split mid-line and mid-character give the same result as one string", () => {
  const text = `${lines(2000, "zeile ✓ ü")}\nsrc/a.c:3:5: error: expected ';' before '}' token\n`;
  const whole = compactOutput(text, { exitCode: 1 });
  const bytes = Buffer.from(text);
  const stream = createOutputCompactor({ exitCode: 1 });
  for (let i = 0; i < bytes.length; i += 7) stream.push(bytes.subarray(i, i + 7));
  const streamed = stream.finish();
  assert.equal(streamed.text, whole.text);
  assert.deepEqual(streamed.findings, whole.findings);
  assert.equal(whole.findings[0]?.file, "src/a.c");
});

test("stdout and stderr chunks never mix inside a line", () => {
  const stream = createOutputCompactor();
  stream.push("src/a.c:3:5: err", "stdout");
  stream.push("warning on stderr\n", "stderr");
  stream.push("or: missing brace\n", "stdout");
  const feedback = stream.finish(1);
  assert.equal(feedback.findings.length, 1);
  assert.equal(feedback.findings[0]?.message, "missing brace");
  assert.match(feedback.text, /^warning on stderr$/m);
});

test("a line far longer than any report is cut, not kept whole", () => {
  const stream = createOutputCompactor({ budgetTokens: 500 });
  const piece = "x".repeat(1024 * 1024);
  for (let i = 0; i < 12; i++) stream.push(piece);
  stream.push("\nend\n");
  const feedback = stream.finish(0);
  assert.ok(feedback.text.length < 4000);
  assert.match(feedback.text, /^end$/m);
});

test("the change since the previous run names what was fixed and what is new", () => {
  const previous: CompactFeedback = {
    text: "",
    fingerprint: "x",
    summary: { failed: 0, passed: 0, errors: 2, status: "parsed", parsers: ["generic"] },
    findings: [
      { source: "generic", kind: "compile-error", file: "src/a.c", line: 3, message: "missing brace" },
      { source: "generic", kind: "compile-error", file: "src/b.c", line: 9, message: "unknown type 'u8'" },
    ],
  };
  const now = compactOutput("src/a.c:5:1: error: missing brace\nsrc/c.c:1:1: error: stray '@'\n", {
    previous,
  });
  assert.match(now.text, /Since the previous run: 1 fixed, 1 new, 1 still failing/);
  assert.match(now.text, /fixed: src\/b\.c:9 unknown type 'u8'/);
  assert.match(now.text, /new: src\/c\.c:1:1 stray '@'/);
});

test("a failed command whose recognized output shows no failure says so and shows the raw log", () => {
  // A tool's clean summary followed by a crash of whatever ran after it.
  const raw = `${lines(300)}\nTests:       0 failed, 12 passed, 12 total\nSegmentation fault (core dumped)\n`;
  const feedback = compactOutput(raw, { command: "npm test", exitCode: 139 });
  assert.equal(feedback.summary.status, "parsed");
  assert.match(feedback.text, /no failing test or error was recognized/);
  assert.match(feedback.text, /Segmentation fault/);
  assert.ok(estimateTokens(feedback.text) > 1000, "the raw log gets the budget");
});

test("a tool the command named but whose output never appeared is called out", () => {
  const feedback = compactOutput("Error: Cannot find module 'jest-cli'\n", {
    command: "npx jest --ci",
    exitCode: 1,
  });
  assert.match(feedback.text, /Expected output from jest but recognized none of it/);
});
