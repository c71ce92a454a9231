// Mocha's default `spec` reporter: after `N passing` / `N failing`, one numbered block per
// failure whose title spans several lines (suite, nested suites, test, ending in `:`),
// followed by the error and its stack. The numbered lines in the live tree are skipped.
import { isStackFrame } from "../stack-frames.ts";
import {
  FindingSink,
  LineBlock,
  type LineParser,
  makeExcerpt,
  type OutputParser,
  type ParseContext,
  PassingTests,
  readFailureBlock,
} from "./output-parser.ts";

const numbered = /^\s{2}(\d+)\) (.+)$/;
const passingTotal = /^\s+(\d+) passing\b/;
const failing = /^\s+(\d+) failing$/;
// The live tree before the totals: suites as plain indented lines, `✔ test (5ms)` passes.
const passLine = /^(\s+)[✔✓] (.+?)(?: \(\d+ms\))?$/;
const treeLine = /^(\s+)(\S.*)$/;

export const mochaParser: OutputParser = {
  name: "mocha",
  command: /(?:^|[\s/])(?:_?mocha)(?:\s|$)/,
  create: (context) => createMochaParser(context),
};

function createMochaParser(context: ParseContext): LineParser {
  const sink = new FindingSink(context.maxFindings);
  let inFailures = false;
  let passed: number | undefined;
  let failed: number | undefined;
  let pending: { title: string[]; titleDone: boolean; block: LineBlock } | undefined;
  const passing = new PassingTests();
  const suites: { name: string; indent: number }[] = [];
  let totalsSeen = false;

  const readTree = (line: string) => {
    const ok = passLine.exec(line);
    const tree = ok ?? treeLine.exec(line);
    if (!tree) return;
    const indent = tree[1]!.length;
    while (suites.length > 0 && suites.at(-1)!.indent >= indent) suites.pop();
    if (ok) passing.add([...suites.map((s) => s.name), ok[2]!].join(" > "));
    else if (!/^\d+\) /.test(tree[2]!) && !/^- /.test(tree[2]!)) suites.push({ name: tree[2]!, indent });
  };

  const flush = () => {
    if (!pending) return;
    const { title, block } = pending;
    pending = undefined;
    const { message, rest, frame } = readFailureBlock(block.lines, isStackFrame, context.cwd);
    sink.add({
      source: "mocha",
      kind: "test-failure",
      test: title.join(" > "),
      file: frame?.file,
      line: frame?.line,
      column: frame?.column,
      message,
      excerpt: makeExcerpt(rest),
    });
  };

  return {
    push(line) {
      const p = passingTotal.exec(line);
      if (p) {
        passed = Number(p[1]);
        totalsSeen = true;
        return;
      }
      const f = failing.exec(line);
      if (f) {
        failed = Number(f[1]);
        inFailures = true;
        return;
      }
      if (!inFailures) {
        if (!totalsSeen) readTree(line);
        return;
      }
      const n = numbered.exec(line);
      if (n) {
        flush();
        const text = n[2]!;
        pending = { title: [text.replace(/:$/, "")], titleDone: text.endsWith(":"), block: new LineBlock() };
        return;
      }
      if (!pending) return;
      if (!pending.titleDone) {
        const part = line.trim();
        pending.title.push(part.replace(/:$/, ""));
        pending.titleDone = part.endsWith(":");
        return;
      }
      pending.block.push(line);
    },
    finish() {
      flush();
      // Every mocha finding is a test failure, so the sink's default count is all of them.
      const result = sink.result("mocha", {
        recognized: passed !== undefined || failed !== undefined,
        failed,
        passed,
        errors: 0,
      });
      return { ...result, passedTests: passing.names };
    },
  };
}
