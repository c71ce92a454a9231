// TypeScript compiler output, both forms: `file(1,7): error TS2322: …` (no TTY) and
// `file:1:7 - error TS2322: …` (--pretty, with a code frame that we keep as the excerpt).
import { normalizePath } from "../stack-frames.ts";
import type { Finding } from "../types.ts";
import {
  FindingSink,
  type LineParser,
  makeExcerpt,
  type OutputParser,
  type ParseContext,
} from "./output-parser.ts";

const plain = /^(.+?)\((\d+),(\d+)\): (error|warning) (TS\d+): (.*)$/;
const pretty = /^(.+?):(\d+):(\d+) - (error|warning) (TS\d+): (.*)$/;
const global = /^(error|warning) (TS\d+): (.*)$/;
const found = /^Found (\d+) errors?\b/;

export const tscParser: OutputParser = {
  name: "tsc",
  command: /(?:^|[\s/])(?:tsc|vue-tsc|tsgo)(?:\s|$)/,
  create: (context) => createTscParser(context),
};

function createTscParser(context: ParseContext): LineParser {
  const sink = new FindingSink(context.maxFindings);
  let current: { finding: Finding; extra: string[] } | undefined;
  let reported: number | undefined;
  let errors = 0;

  const flush = () => {
    if (!current) return;
    const excerpt = makeExcerpt(current.extra);
    sink.add(excerpt ? { ...current.finding, excerpt } : current.finding);
    current = undefined;
  };

  return {
    push(line) {
      // Cheap test first: these regexes backtrack on every line of a big log.
      const m = line.includes(" TS") ? (plain.exec(line) ?? pretty.exec(line)) : null;
      if (m) {
        flush();
        const severity = m[4] === "warning" ? "warning" : "error";
        if (severity === "error") errors++;
        current = {
          finding: {
            source: "tsc",
            kind: "compile-error",
            file: normalizePath(m[1]!, context.cwd),
            line: Number(m[2]),
            column: Number(m[3]),
            message: `${m[5]}: ${m[6]}`,
            severity,
          },
          extra: [],
        };
        return;
      }
      const g = global.exec(line);
      if (g) {
        flush();
        if (g[1] === "error") errors++;
        current = {
          finding: { source: "tsc", kind: "compile-error", message: `${g[2]}: ${g[3]}`, severity: "error" },
          extra: [],
        };
        return;
      }
      const f = found.exec(line);
      if (f) {
        flush();
        reported = Number(f[1]);
        return;
      }
      // Message chains (plain) and code frames (pretty) are indented or follow directly.
      if (current && (line.startsWith(" ") || /^\d+\s/.test(line) || line === "")) {
        if (line !== "" || current.extra.length > 0) current.extra.push(line);
        return;
      }
      flush();
    },
    finish() {
      flush();
      return {
        parser: "tsc",
        recognized: sink.findings.length > 0 || reported !== undefined,
        findings: sink.findings,
        dropped: sink.dropped,
        failed: 0,
        passed: 0,
        errors: reported ?? errors,
      };
    },
  };
}
