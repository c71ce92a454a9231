// `go test` (plain, `-v` and `-json`): `--- FAIL: TestX/sub (0.00s)` marks a failure, the
// `    file_test.go:7: message` lines logged by t.Error/t.Fatal belong to the test named last
// (by `=== RUN` in -v, by `--- FAIL` otherwise), a panic's first user frame locates it, and
// `file.go:5:35: message` lines before `[build failed]` are compile errors. With `-json`
// the same text arrives in the "Output" fields.
import { isRuntimePath, normalizePath } from "../stack-frames.ts";
import {
  detach,
  FindingSink,
  type LineParser,
  type OutputParser,
  type ParseContext,
} from "./output-parser.ts";

const run = /^=== (?:RUN|CONT|PAUSE)\s+(\S+)/;
const fail = /^\s*--- FAIL: (\S+) \(/;
const pass = /^\s*--- PASS: (\S+) \(/;
const log = /^\s+([\w./-]+\.go):(\d+): (.*)$/;
const compile = /^(\S+\.go):(\d+):(\d+): (.*)$/;
const panic = /^panic: (.*?)(?: \[recovered\])?$/;
const frame = /^\t(\S+\.go):(\d+)(?: \+0x[0-9a-f]+)?$/;
const pkgLine = /^(FAIL|ok)\s+(\S+)\s+(?:[\d.]+s|\(cached\)|\[(build failed|setup failed)\])/;

export const goTestParser: OutputParser = {
  name: "go",
  command: /(?:^|\s)go\s+(?:test|vet|build)\b/,
  create: (context) => createGoTestParser(context),
};

interface TestState {
  failed: boolean;
  file?: string;
  line?: number;
  message?: string;
  extra: string[];
}

function createGoTestParser(context: ParseContext): LineParser {
  const sink = new FindingSink(context.maxFindings);
  const tests = new Map<string, TestState>();
  const order: string[] = [];
  let owner: string | undefined;
  let panicking = false;
  let passed = 0;
  let recognized = false;
  let compileErrors = 0;

  const state = (name: string): TestState => {
    let s = tests.get(name);
    if (!s) {
      // Bounded: past a few thousand tests only failures are tracked.
      if (tests.size > 10 * context.maxFindings) return { failed: false, extra: [] };
      s = { failed: false, extra: [] };
      tests.set(detach(name), s);
      order.push(detach(name));
    }
    return s;
  };

  const readText = (line: string) => {
    let m = run.exec(line);
    if (m) {
      owner = m[1];
      panicking = false;
      return;
    }
    m = fail.exec(line);
    if (m) {
      recognized = true;
      owner = m[1];
      state(m[1]!).failed = true;
      return;
    }
    m = pass.exec(line);
    if (m) {
      recognized = true;
      passed++;
      return;
    }
    m = pkgLine.exec(line);
    if (m) {
      recognized = true;
      owner = undefined;
      panicking = false;
      return;
    }
    m = compile.exec(line);
    if (m && !owner) {
      compileErrors++;
      sink.add({
        source: "go",
        kind: "compile-error",
        file: normalizePath(m[1]!, context.cwd),
        line: Number(m[2]),
        column: Number(m[3]),
        message: m[4]!,
      });
      return;
    }
    if (!owner) return;
    const s = state(owner);
    m = panic.exec(line);
    if (m) {
      panicking = true;
      if (!s.message) s.message = detach(`panic: ${m[1]}`);
      return;
    }
    m = frame.exec(line);
    if (m && panicking) {
      if (s.file === undefined && !isRuntimePath(m[1]!)) {
        s.file = detach(normalizePath(m[1]!, context.cwd));
        s.line = Number(m[2]);
      }
      return;
    }
    m = log.exec(line);
    if (m && s.message === undefined) {
      s.file = detach(normalizePath(m[1]!, context.cwd));
      s.line = Number(m[2]);
      s.message = detach(m[3]!);
      return;
    }
    if (s.message !== undefined && !panicking && s.extra.length < 6 && /^\s{8,}\S/.test(line))
      s.extra.push(detach(line.trim()));
  };

  return {
    push(line) {
      if (line.startsWith('{"Time":') || line.startsWith('{"Action":')) {
        try {
          const event = JSON.parse(line) as { Action?: string; Output?: string };
          if (event.Action === "output" && event.Output) readText(event.Output.replace(/\n$/, ""));
        } catch {
          // A cut JSON line is not ours to understand.
        }
        return;
      }
      readText(line);
    },
    finish() {
      const failing = order.filter((name) => tests.get(name)!.failed);
      for (const name of failing) {
        const s = tests.get(name)!;
        // A parent fails because a subtest failed; report the subtest unless the parent said something itself.
        if (s.message === undefined && failing.some((other) => other.startsWith(`${name}/`))) continue;
        sink.add({
          source: "go",
          kind: "test-failure",
          test: name,
          file: s.file,
          line: s.line,
          message: s.message ?? "test failed",
          excerpt: s.extra.length > 0 ? s.extra.join("\n") : undefined,
        });
      }
      // go prints no failure total; the leaf failures kept are the count.
      return sink.result("go", {
        recognized: recognized || compileErrors > 0,
        passed,
        errors: compileErrors,
      });
    },
  };
}
