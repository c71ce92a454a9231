// pytest: the FAILURES / ERRORS sections hold one `____ name ____` block per failure with
// `E   ` lines (the assertion) and `file.py:7: AssertionError` locations; the "short test
// summary info" lines give the full node ids (`tests/test_x.py::Class::test_y`), which
// replace the block titles when present.
import { isRuntimePath, normalizePath } from "../stack-frames.ts";
import type { Finding } from "../types.ts";
import {
  FindingSink,
  LineBlock,
  type LineParser,
  makeExcerpt,
  type OutputParser,
  type ParseContext,
  PassingTests,
} from "./output-parser.ts";

const section = /^={3,} (.+?) ={3,}$/;
const blockTitle = /^_{3,} (.+?) _{3,}$/;
const location = /^(\S+\.py):(\d+):(?: |$)/;
const summaryLine = /^(FAILED|ERROR) (\S+?)(?: - (.*))?$/;
const totals = /(?:^|\s)(\d+) (failed|passed|errors?|skipped)\b/g;
// `-v`: `tests/test_x.py::test_y PASSED  [ 50%]`, the only form that names passing tests.
const verbosePass = /^(\S+\.py::\S+) PASSED\b/;

export const pytestParser: OutputParser = {
  name: "pytest",
  command: /(?:^|[\s/])(?:py\.test|pytest)(?:\s|$)|-m\s+pytest\b/,
  create: (context) => createPytestParser(context),
};

function createPytestParser(context: ParseContext): LineParser {
  const sink = new FindingSink(context.maxFindings);
  let mode: "none" | "failures" | "errors" | "summary" = "none";
  let pending: { title: string; block: LineBlock; error: boolean } | undefined;
  const nodeIds = new Map<string, string>();
  const summaryOnly: Finding[] = [];
  let counts: Map<string, number> | undefined;
  let recognized = false;
  const passing = new PassingTests();

  const flush = () => {
    if (!pending) return;
    const { title, block, error } = pending;
    pending = undefined;
    const lines = block.lines;
    const eLines = lines.filter((l) => /^E\s/.test(l)).map((l) => l.slice(1).trim());
    const loc = lines.map((l) => location.exec(l)).find((m) => m !== null && !isRuntimePath(m[1]!));
    const collecting = /^ERROR collecting (.+)$/.exec(title);
    const setup = /^ERROR at (?:setup|teardown) of (.+)$/.exec(title);
    const finding: Finding = {
      source: "pytest",
      kind: error && !setup ? "runtime-error" : "test-failure",
      test: collecting ? undefined : (setup?.[1] ?? title),
      // A collection error is about the file being collected, wherever the import blew up.
      file: collecting ? collecting[1] : loc ? normalizePath(loc[1]!, context.cwd) : undefined,
      line:
        loc && (!collecting || normalizePath(loc[1]!, context.cwd) === collecting[1])
          ? Number(loc[2])
          : undefined,
      message: eLines[0] ?? lines.find((l) => l.trim() !== "")?.trim() ?? title,
      excerpt: makeExcerpt(eLines.slice(1)),
    };
    sink.add(finding);
  };

  return {
    push(line) {
      const s = section.exec(line);
      if (s) {
        flush();
        const name = s[1]!;
        if (name === "FAILURES") mode = "failures";
        else if (name === "ERRORS") mode = "errors";
        else if (name === "short test summary info") mode = "summary";
        else mode = "none";
        if (mode !== "none" || name === "test session starts") recognized = true;
        readTotals(name);
        return;
      }
      const v = mode === "none" ? verbosePass.exec(line) : null;
      if (v) {
        passing.add(v[1]!);
        return;
      }
      if (mode === "failures" || mode === "errors") {
        const t = blockTitle.exec(line);
        if (t) {
          flush();
          pending = { title: t[1]!, block: new LineBlock(), error: mode === "errors" };
          return;
        }
        pending?.block.push(line);
        return;
      }
      if (mode === "summary") {
        const m = summaryLine.exec(line);
        if (m) {
          const id = m[2]!;
          const [file, ...parts] = id.split("::");
          nodeIds.set(parts.join("."), id);
          // With --tb=no the summary is all there is; keep it in case no block names this test.
          if (m[1] === "FAILED" && summaryOnly.length < context.maxFindings)
            summaryOnly.push({
              source: "pytest",
              kind: "test-failure",
              test: id,
              file,
              message: m[3] ?? "failed",
            });
          return;
        }
      }
      // `-q` prints the totals without the `===` frame.
      if (/^\d+ (failed|passed|errors?)\b.* in [\d.]+s/.test(line)) readTotals(line);
    },
    finish() {
      flush();
      const findings = sink.findings.map((f) => {
        const id = f.test === undefined ? undefined : nodeIds.get(f.test);
        return id ? { ...f, test: id } : f;
      });
      const named = new Set(findings.map((f) => f.test));
      findings.push(...summaryOnly.filter((f) => !named.has(f.test)));
      const failedTests = findings.filter((f) => f.kind === "test-failure").length;
      return {
        parser: "pytest",
        recognized: recognized || counts !== undefined,
        findings,
        dropped: sink.dropped,
        failed: counts?.get("failed") ?? failedTests,
        passed: counts?.get("passed") ?? 0,
        errors: counts?.get("error") ?? counts?.get("errors") ?? 0,
        passedTests: passing.names,
        skipped: counts?.get("skipped") ?? 0,
      };
    },
  };

  function readTotals(text: string) {
    if (!/ in [\d.]+s/.test(text)) return;
    counts = new Map();
    for (const m of text.matchAll(totals)) counts.set(m[2]!, Number(m[1]));
  }
}
