// Jest's default reporter: `FAIL path` per file, then `● suite › test` per failure with the
// matcher message, a code frame and a stack. "Test suite failed to run" (a syntax or import
// error) becomes a runtime error for that file. The end-of-run recap repeats failures; the
// sink drops the repeats.
import { isStackFrame, normalizePath } from "../stack-frames.ts";
import {
  FindingSink,
  LineBlock,
  type LineParser,
  makeExcerpt,
  type OutputParser,
  type ParseContext,
  readFailedPassed,
  readFailureBlock,
} from "./output-parser.ts";

const fileHeader = /^\s*(FAIL|PASS)\s+(\S+)(?:\s+\([\d.]+ m?s\))?\s*$/;
const bullet = /^\s*● (.+)$/;
const tests = /^Tests:\s+(.*)$/;
const codeFrame = /^\s*>?\s*\d+ \|/;

export const jestParser: OutputParser = {
  name: "jest",
  command: /(?:^|[\s/])jest(?:\s|$)|react-scripts test/,
  create: (context) => createJestParser(context),
};

function createJestParser(context: ParseContext): LineParser {
  const sink = new FindingSink(context.maxFindings);
  let file: string | undefined;
  let pending: { title: string; block: LineBlock } | undefined;
  let failed: number | undefined;
  let passed: number | undefined;
  let recognized = false;
  let suiteErrors = 0;

  const flush = () => {
    if (!pending) return;
    const { title, block } = pending;
    pending = undefined;
    const {
      messageLines,
      message: matcher,
      rest,
      frame,
    } = readFailureBlock(block.lines, (l) => codeFrame.test(l) || isStackFrame(l), context.cwd);
    const suiteError = title === "Test suite failed to run";
    if (suiteError) suiteErrors++;
    // A suite that fails to run points at its own file when the stack has no user frame.
    const location = frame ?? (file ? { file: normalizePath(file, context.cwd) } : undefined);
    // `expect(received).toBe(expected)` alone says nothing; the values are on the next lines.
    const expected = messageLines.map((l) => /^\s*Expected: (.*)$/.exec(l)?.[1]).find((v) => v !== undefined);
    const received = messageLines.map((l) => /^\s*Received: (.*)$/.exec(l)?.[1]).find((v) => v !== undefined);
    const merged = matcher.startsWith("expect(") && expected !== undefined && received !== undefined;
    const matcherName = /^expect\(received\)\.((?:not\.|resolves\.|rejects\.)*\w+)\(/.exec(matcher)?.[1];
    const shortMatcher = matcherName ? `expect.${matcherName}` : matcher;
    const message = merged ? `${shortMatcher}: expected ${expected}, received ${received}` : shortMatcher;
    const excerptLines = merged ? rest.filter((l) => !/^\s*(?:Expected|Received): /.test(l)) : rest;
    sink.add({
      source: "jest",
      kind: suiteError ? "runtime-error" : "test-failure",
      test: suiteError ? undefined : title.split(" › ").join(" > "),
      file: location?.file,
      line: frame?.line,
      column: frame?.column,
      message: suiteError ? `${normalizePath(file ?? "", context.cwd)}: ${message}` : message,
      excerpt: makeExcerpt(excerptLines),
    });
  };

  return {
    push(line) {
      const h = line.includes("FAIL") || line.includes("PASS") ? fileHeader.exec(line) : null;
      if (h) {
        flush();
        recognized = true;
        file = h[2];
        return;
      }
      const b = bullet.exec(line);
      if (b) {
        flush();
        // `● Console` blocks are console.log output, not failures.
        if (b[1] !== "Console") pending = { title: b[1]!, block: new LineBlock() };
        return;
      }
      const t = tests.exec(line);
      if (t) {
        flush();
        recognized = true;
        ({ failed, passed } = readFailedPassed(t[1]!));
        return;
      }
      if (/^Test Suites:|^Summary of all failing tests/.test(line)) {
        flush();
        return;
      }
      pending?.block.push(line);
    },
    finish() {
      flush();
      return sink.result("jest", { recognized, failed, passed, errors: suiteErrors });
    },
  };
}
