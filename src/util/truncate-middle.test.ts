import assert from "node:assert/strict";
import { test } from "node:test";
import { countLines, truncateMiddle } from "./truncate-middle.ts";

const log = Array.from({ length: 1000 }, (_, i) => `line ${i + 1}`).join("\n");

test("text within the budget comes back unchanged", () => {
  assert.deepEqual(truncateMiddle("short\n", 100), { text: "short\n", cut: false, cutLines: 0, cutChars: 0 });
});

test("text over the budget keeps its head and tail and marks the cut with the full-output path", () => {
  const out = truncateMiddle(log, 1000, "/tmp/x/shell-1.log");
  assert.equal(out.cut, true);
  assert.ok(out.text.startsWith("line 1\nline 2\n"));
  assert.ok(out.text.endsWith("line 999\nline 1000"));
  assert.match(
    out.text,
    /… \[\d+ lines \(\d+ characters\) cut here; full output: \/tmp\/x\/shell-1\.log\] …/,
  );
  assert.ok(out.text.length < 1000 + 100);
  // Cut on line boundaries: every kept line is a whole line of the input.
  for (const line of out.text.split("\n").filter((l) => !l.startsWith("…"))) assert.match(line, /^line \d+$/);
});

test("the marker counts exactly the lines and characters that were removed", () => {
  const out = truncateMiddle(log, 1000);
  const kept = out.text.split("\n").filter((l) => !l.startsWith("…")).length;
  assert.equal(kept + out.cutLines, countLines(log));
  assert.equal(
    out.text.length - out.text.split("\n").find((l) => l.startsWith("…"))!.length - 1 + out.cutChars,
    log.length,
  );
});

test("a single huge line is still bounded", () => {
  const out = truncateMiddle("x".repeat(100_000), 2000);
  assert.ok(out.text.length < 2200);
  assert.equal(out.cutChars, 98_000);
});
