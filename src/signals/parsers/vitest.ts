// Vitest's default reporter: after the run, a "Failed Tests" section with one block per
// failure — ` FAIL  file > suite > test` (several headers may share one error), the error
// line, a diff, then ` ❯ file:line:col` and a code frame. ` FAIL  file [ file ]` is a file
// that failed to load.
import { normalizePath } from "../stack-frames.ts";
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
    const { message, rest, frame } = readFailureBlock(
      block.lines,
      (l) => /^\s*❯ /.test(l) || codeFrame.test(l),
      context.cwd,
    );
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
        ({ failed, passed } = readFailedPassed(t[1]!));
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
      return sink.result("vitest", { recognized, failed, passed, errors: fileErrors });
    },
  };
}
