// Vitest's default reporter: after the run, a "Failed Tests" section with one block per
// failure — ` FAIL  file > suite > test` (several headers may share one error), the error
// line, a diff, then ` ❯ file:line:col` and a code frame. ` FAIL  file [ file ]` is a file
// that failed to load.
import { firstRepoFrame, normalizePath } from "../stack-frames.ts";
import {
  FindingSink,
  firstMessage,
  LineBlock,
  type LineParser,
  makeExcerpt,
  type OutputParser,
  type ParseContext,
} from "./output-parser.ts";

const failHeader = /^\s*FAIL\s+(\S+?) > (.+)$/;
const fileFail = /^\s*FAIL\s+(\S+) \[ (.+) \]$/;
const tests = /^\s*Tests\s+(.*\(\d+\))\s*$/;
const separator = /^⎯{3,}/;
const codeFrame = /^\s*\d+\|/;

export const vitestParser: OutputParser = {
  name: "vitest",
  command: /(?:^|[\s/])vitest(?:\s|$)/,
  create: (context) => createVitestParser(context),
};

function createVitestParser(context: ParseContext): LineParser {
  const sink = new FindingSink(context.maxFindings);
  let headers: { file: string; test?: string }[] = [];
  let block = new LineBlock();
  let failed: number | undefined;
  let passed: number | undefined;
  let recognized = false;
  let fileErrors = 0;

  const flush = () => {
    if (headers.length === 0) return;
    const lines = block.lines;
    const end = lines.findIndex((l) => /^\s*❯ /.test(l) || codeFrame.test(l));
    const messageLines = (end >= 0 ? lines.slice(0, end) : lines).filter((l) => l.trim() !== "");
    const frame = firstRepoFrame(lines, context.cwd);
    const { message, rest } = firstMessage(messageLines);
    for (const header of headers) {
      if (!header.test) fileErrors++;
      sink.add({
        source: "vitest",
        kind: header.test ? "test-failure" : "runtime-error",
        test: header.test,
        file: frame?.file ?? normalizePath(header.file, context.cwd),
        line: frame?.line,
        column: frame?.column,
        message,
        excerpt: makeExcerpt(rest),
      });
    }
    headers = [];
    block = new LineBlock();
  };

  return {
    push(line) {
      const mayFail = line.includes("FAIL");
      const ff = mayFail ? fileFail.exec(line) : null;
      const h = ff || !mayFail ? undefined : failHeader.exec(line);
      if (ff || h) {
        recognized = true;
        // Consecutive headers share the error printed after them.
        if (block.lines.some((l) => l.trim() !== "")) flush();
        headers.push(ff ? { file: ff[1]! } : { file: h![1]!, test: h![2]! });
        return;
      }
      const t = tests.exec(line);
      if (t) {
        flush();
        recognized = true;
        failed = Number(/(\d+) failed/.exec(t[1]!)?.[1] ?? 0);
        passed = Number(/(\d+) passed/.exec(t[1]!)?.[1] ?? 0);
        return;
      }
      if (separator.test(line) || /^\s*Test Files\s/.test(line)) {
        flush();
        return;
      }
      if (headers.length > 0) block.push(line);
    },
    finish() {
      flush();
      const testFailures = sink.count((f) => f.kind === "test-failure");
      return {
        parser: "vitest",
        recognized,
        findings: sink.findings,
        dropped: sink.dropped,
        failed: failed ?? testFailures,
        passed: passed ?? 0,
        errors: fileErrors,
      };
    },
  };
}
