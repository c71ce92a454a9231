// node:test's `spec` reporter: a tree of `▶ suite` / `✔ test (1ms)` / `✖ test (1ms)` lines,
// each failure followed by its indented error and stack. The tree is read once; the
// "failing tests:" recap at the end repeats the same failures and is skipped.
import { isStackFrame } from "../stack-frames.ts";
import {
  FindingSink,
  type IndentedFailure,
  isIndentedUnder,
  LineBlock,
  type LineParser,
  makeExcerpt,
  type OutputParser,
  type ParseContext,
  PassingTests,
  readCountLine,
  readFailureBlock,
} from "./output-parser.ts";

const suiteStart = /^(\s*)▶ (.+?)$/;
const result = /^(\s*)([✔✖﹣▶]) (.+?) \([\d.]+m?s\)(?: # .*)?$/;
const counter = /^ℹ (tests|pass|fail|skipped) (\d+)$/;

export const nodeTestSpecParser: OutputParser = {
  name: "node-test",
  command: /(?:^|[\s/])node(?:\s+\S+)*\s+--test\b|(?:^|\s)tsx\s+--test\b/,
  create: (context) => createNodeTestSpecParser(context),
};

function createNodeTestSpecParser(context: ParseContext): LineParser {
  const sink = new FindingSink(context.maxFindings);
  const suites: { name: string; indent: number }[] = [];
  const counts = new Map<string, number>();
  let pending: IndentedFailure | undefined;
  let inRecap = false;
  let failures = 0;
  const passing = new PassingTests();

  const flush = () => {
    if (!pending) return;
    const lines = pending.block.lines;
    // A failing suite prints `✖ suite (2ms)` with no body; its tests were reported already.
    if (lines.every((l) => l.trim() === "")) {
      pending = undefined;
      return;
    }
    failures++;
    const { message, rest, frame } = readFailureBlock(lines, isStackFrame, context.cwd, "test failed");
    sink.add({
      source: "node-test",
      kind: "test-failure",
      test: pending.name,
      file: frame?.file,
      line: frame?.line,
      column: frame?.column,
      message,
      excerpt: makeExcerpt(rest),
    });
    pending = undefined;
  };

  return {
    push(line) {
      if (inRecap) {
        readCountLine(counter, line, counts);
        return;
      }
      if (line === "✖ failing tests:") {
        flush();
        inRecap = true;
        return;
      }
      if (readCountLine(counter, line, counts)) {
        flush();
        return;
      }
      const s = suiteStart.exec(line);
      if (s && !/ \([\d.]+m?s\)$/.test(line)) {
        flush();
        const indent = s[1]!.length;
        while (suites.length > 0 && suites.at(-1)!.indent >= indent) suites.pop();
        suites.push({ name: s[2]!, indent });
        return;
      }
      const r = result.exec(line);
      if (r) {
        flush();
        const indent = r[1]!.length;
        // The closing line of a suite carries its own indent: pop it, it is not a test.
        const top = suites.at(-1);
        if (top && top.indent === indent && top.name === r[3]) {
          suites.pop();
          return;
        }
        while (suites.length > 0 && suites.at(-1)!.indent >= indent) suites.pop();
        const name = [...suites.map((x) => x.name), r[3]!].join(" > ");
        if (r[2] === "✖") pending = { name, indent, block: new LineBlock() };
        else if (r[2] === "✔" && !/ # (?:SKIP|TODO)\b/.test(line)) passing.add(name);
        return;
      }
      if (pending) {
        if (isIndentedUnder(line, pending.indent)) pending.block.push(line);
        else flush();
      }
    },
    finish() {
      flush();
      const result = sink.result("node-test", {
        recognized: counts.size > 0 || sink.findings.length > 0,
        failed: counts.get("fail") ?? failures,
        passed: counts.get("pass"),
        errors: 0,
      });
      return { ...result, passedTests: passing.names, skipped: counts.get("skipped") ?? 0 };
    },
  };
}
