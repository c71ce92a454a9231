import assert from "node:assert/strict";
import { test } from "node:test";
import { applyExactEdit } from "./apply-exact-edit.ts";

const file = "function sum(a, b) {\n  return a - b;\n}\n\nfunction sub(a, b) {\n  return a - b;\n}\n";

test("a unique oldText is replaced and the lines it now occupies are reported", () => {
  const outcome = applyExactEdit(
    file,
    "function sum(a, b) {\n  return a - b;",
    "function sum(a, b) {\n  return a + b;",
  );
  assert.equal(outcome.ok, true);
  if (!outcome.ok) return;
  assert.equal(outcome.text, file.replace("return a - b", "return a + b"));
  assert.deepEqual([outcome.startLine, outcome.endLine], [1, 2]);
});

test("an oldText that occurs more than once is refused with the count and the lines", () => {
  const outcome = applyExactEdit(file, "  return a - b;", "  return a + b;");
  assert.equal(outcome.ok, false);
  if (outcome.ok) return;
  assert.equal(outcome.problem, "ambiguous");
  assert.match(outcome.message, /occurs 2 times \(starting at lines 2, 6\)/);
});

test("an absent oldText is refused, pointing at a match that differs only in whitespace", () => {
  const outcome = applyExactEdit(file, "function sum(a, b) {\nreturn a - b;", "x");
  assert.equal(outcome.ok, false);
  if (outcome.ok) return;
  assert.equal(outcome.problem, "absent");
  assert.match(outcome.message, /Lines 1–2 match if whitespace .* is ignored/);
});

test("an absent oldText whose first line exists says where the difference starts", () => {
  const outcome = applyExactEdit(file, "function sub(a, b) {\n  return b - a;", "x");
  assert.equal(outcome.ok, false);
  if (!outcome.ok) assert.match(outcome.message, /first line matches line 5/);
});

test("line-number prefixes copied from read_file are called out", () => {
  const outcome = applyExactEdit(file, "2\t  return a - b;", "x");
  assert.equal(outcome.ok, false);
  if (!outcome.ok) assert.match(outcome.message, /line number and a tab/);
});

test("identical old and new text, or an empty oldText, is refused", () => {
  const same = applyExactEdit(file, "sum", "sum");
  assert.equal(same.ok === false && same.problem, "unchanged");
  const empty = applyExactEdit(file, "", "x");
  assert.equal(empty.ok === false && empty.problem, "empty");
});

test("a CRLF file is edited with LF oldText and keeps its CRLF line ends", () => {
  const crlf = "a\r\nb\r\nc\r\n";
  const outcome = applyExactEdit(crlf, "a\nb", "a\nB\nb");
  assert.equal(outcome.ok, true);
  if (outcome.ok) assert.equal(outcome.text, "a\r\nB\r\nb\r\nc\r\n");
});
