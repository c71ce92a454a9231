// The fallback when no known tool's output was recognized: compiler-style
// `path:line[:col]: error: message` lines, uncaught JavaScript errors with their first
// frame in the repo, and Python tracebacks. Anything else stays in the raw head and tail.
import { firstRepoFrame, isStackFrame, normalizePath } from "../stack-frames.ts";
import { FindingSink, type LineParser, type OutputParser, type ParseContext } from "./output-parser.ts";

const compilerStyle =
  /^((?:\.{0,2}\/)?[\w@.+/-]+\.[A-Za-z]\w*):(\d+)(?::(\d+))?:?\s+(?:fatal )?(error|Error|ERROR)\b:?\s*(.*)$/;
const jsError = /^(?:Uncaught )?((?:[A-Z]\w*)?(?:Error|Exception))(?: \[\w+\])?: (.+)$/;
const pyFrame = /^\s*File "(.+?)", line (\d+)/;

export const genericParser: OutputParser = {
  name: "generic",
  command: /$^/,
  create: (context) => createGenericParser(context),
};

function createGenericParser(context: ParseContext): LineParser {
  const sink = new FindingSink(context.maxFindings);
  let js: { name: string; message: string; frames: string[] } | undefined;
  let python: { file?: string; line?: number } | undefined;
  let errors = 0;

  const flushJs = () => {
    if (!js) return;
    const frame = firstRepoFrame(js.frames, context.cwd);
    errors++;
    sink.add({
      source: "generic",
      kind: "runtime-error",
      file: frame?.file,
      line: frame?.line,
      column: frame?.column,
      message: `${js.name}: ${js.message}`,
    });
    js = undefined;
  };

  return {
    push(line) {
      if (js) {
        if (isStackFrame(line) && js.frames.length < 50) {
          js.frames.push(line);
          return;
        }
        if (js.frames.length > 0 || line.trim() === "") flushJs();
      }
      if (line.startsWith("Traceback (most recent call last)")) {
        python = {};
        return;
      }
      if (python) {
        const f = pyFrame.exec(line);
        if (f) {
          const file = normalizePath(f[1]!, context.cwd);
          if (!/\/(?:site|dist)-packages\/|^\/usr\/lib\/python/.test(file))
            python = { file, line: Number(f[2]) };
          return;
        }
        if (/^\S/.test(line)) {
          errors++;
          sink.add({
            source: "generic",
            kind: "runtime-error",
            file: python.file,
            line: python.line,
            message: line.trim(),
          });
          python = undefined;
        }
        return;
      }
      const c = compilerStyle.exec(line);
      if (c) {
        errors++;
        sink.add({
          source: "generic",
          kind: "compile-error",
          file: normalizePath(c[1]!, context.cwd),
          line: Number(c[2]),
          column: c[3] ? Number(c[3]) : undefined,
          message: c[5] || line,
        });
        return;
      }
      const e = jsError.exec(line.trim());
      if (e && !js) js = { name: e[1]!, message: e[2]!, frames: [] };
    },
    finish() {
      flushJs();
      return {
        parser: "generic",
        recognized: sink.findings.length > 0,
        findings: sink.findings,
        dropped: sink.dropped,
        failed: 0,
        passed: 0,
        errors,
      };
    },
  };
}
