// `cargo test` (libtest): `---- name stdout ----` opens a failure's captured output, whose
// `thread 'name' panicked at src/lib.rs:7:17:` line locates it and whose next lines are the
// message. rustc errors (`error[E0308]: …` then ` --> src/lib.rs:3:5`) are compile errors.
// libtest's unstable `--format json` puts the same text in "stdout" fields.
import { normalizePath } from "../stack-frames.ts";
import type { Finding } from "../types.ts";
import {
  detach,
  FindingSink,
  type LineParser,
  type OutputParser,
  type ParseContext,
} from "./output-parser.ts";

const testLine = /^test (\S+) \.\.\. (FAILED|ok|ignored)\b/;
const stdoutHeader = /^---- (\S+) stdout ----$/;
// Rust ≥ 1.73 puts the message on the next lines; older ones quote it inline.
const panicked = /^thread '(.+?)'(?: \(\d+\))? panicked at (?:'(.*)', )?(.+?):(\d+):(\d+):?$/;
const result = /^test result: (?:FAILED|ok)\. (\d+) passed; (\d+) failed/;
const rustcError = /^error(?:\[(E\d+)\])?: (.+)$/;
const arrow = /^\s*--> (.+?):(\d+):(\d+)$/;

export const cargoTestParser: OutputParser = {
  name: "cargo",
  command: /(?:^|\s)cargo\s+(?:test|nextest|build|check|run)\b/,
  create: (context) => createCargoTestParser(context),
};

function createCargoTestParser(context: ParseContext): LineParser {
  const sink = new FindingSink(context.maxFindings);
  const failedNames: string[] = [];
  const details = new Map<string, Finding>();
  let current: { name: string; finding?: Finding; messageLines: string[]; reading: boolean } | undefined;
  let compile: { code?: string; message: string; waited: number } | undefined;
  let passed = 0;
  let failed = 0;
  let sawResult = false;
  let compileErrors = 0;

  const closeCurrent = () => {
    if (current?.finding) {
      const [first, ...rest] = current.messageLines;
      if (details.size < context.maxFindings)
        details.set(detach(current.name), {
          ...current.finding,
          test: detach(current.name),
          file: current.finding.file === undefined ? undefined : detach(current.finding.file),
          message: detach(first ?? current.finding.message),
          excerpt: rest.length > 0 ? detach(rest.slice(0, 6).join("\n")) : undefined,
        });
    }
    current = undefined;
  };

  const readText = (line: string) => {
    if (compile) {
      const a = arrow.exec(line);
      if (a) {
        compileErrors++;
        sink.add({
          source: "cargo",
          kind: "compile-error",
          file: normalizePath(a[1]!, context.cwd),
          line: Number(a[2]),
          column: Number(a[3]),
          message: compile.code ? `${compile.code}: ${compile.message}` : compile.message,
        });
        compile = undefined;
        return;
      }
      if (++compile.waited > 3) compile = undefined;
    }
    const e = rustcError.exec(line);
    if (e) {
      compile = { code: e[1], message: e[2]!, waited: 0 };
      return;
    }
    let m = testLine.exec(line);
    if (m) {
      if (m[2] === "FAILED" && failedNames.length < 10 * context.maxFindings) failedNames.push(detach(m[1]!));
      return;
    }
    m = stdoutHeader.exec(line);
    if (m) {
      closeCurrent();
      current = { name: m[1]!, messageLines: [], reading: false };
      return;
    }
    m = result.exec(line);
    if (m) {
      closeCurrent();
      sawResult = true;
      passed += Number(m[1]);
      failed += Number(m[2]);
      return;
    }
    if (!current) return;
    m = panicked.exec(line);
    if (m && !current.finding) {
      current.finding = {
        source: "cargo",
        kind: "test-failure",
        test: current.name,
        file: normalizePath(m[3]!, context.cwd),
        line: Number(m[4]),
        column: Number(m[5]),
        message: m[2] ?? "panicked",
      };
      current.reading = m[2] === undefined;
      return;
    }
    if (current.reading) {
      if (line === "" || /^(stack backtrace:|note: )/.test(line) || current.messageLines.length >= 8)
        current.reading = false;
      else current.messageLines.push(line);
    }
  };

  return {
    push(line) {
      if (line.startsWith('{ "type": "test"') || line.startsWith('{"type":"test"')) {
        try {
          const event = JSON.parse(line) as { name?: string; event?: string; stdout?: string };
          if (event.event === "failed" && event.name) {
            failedNames.push(event.name);
            readText(`---- ${event.name} stdout ----`);
            for (const l of (event.stdout ?? "").split("\n")) readText(l);
            closeCurrent();
          } else if (event.event === "ok") passed++;
        } catch {
          // A cut JSON line is not ours to understand.
        }
        return;
      }
      readText(line);
    },
    finish() {
      closeCurrent();
      for (const name of new Set(failedNames)) {
        sink.add(
          details.get(name) ?? { source: "cargo", kind: "test-failure", test: name, message: "test failed" },
        );
      }
      // Without a `test result:` line, the failures kept are the count.
      return sink.result("cargo", {
        recognized: sawResult || failedNames.length > 0 || compileErrors > 0,
        failed: sawResult ? failed : undefined,
        passed,
        errors: compileErrors,
      });
    },
  };
}
