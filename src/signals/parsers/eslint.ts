// ESLint's two common formats: the default "stylish" (a file path, then indented
// `line:col  severity  message  rule` rows) and `-f json` (one JSON array on one line).
import { normalizePath } from "../stack-frames.ts";
import { FindingSink, type LineParser, type OutputParser, type ParseContext } from "./output-parser.ts";

const row = /^\s+(\d+):(\d+)\s+(error|warning)\s+(.+?)(?:\s{2,}(\S+))?\s*$/;
const summary = /^✖ (\d+) problems? \((\d+) errors?, (\d+) warnings?\)/;

interface EslintJsonFile {
  filePath: string;
  messages: { ruleId: string | null; severity: number; message: string; line?: number; column?: number }[];
}

export const eslintParser: OutputParser = {
  name: "eslint",
  command: /(?:^|[\s/])eslint(?:\s|$)/,
  create: (context) => createEslintParser(context),
};

function createEslintParser(context: ParseContext): LineParser {
  const sink = new FindingSink(context.maxFindings);
  let file: string | undefined;
  let recognized = false;
  let errors = 0;
  let reportedErrors: number | undefined;

  const add = (
    path: string,
    line: number | undefined,
    column: number | undefined,
    isError: boolean,
    message: string,
    rule?: string | null,
  ) => {
    if (isError) errors++;
    sink.add({
      source: "eslint",
      kind: "lint",
      file: normalizePath(path, context.cwd),
      line,
      column,
      // Stylish drops the final period that JSON keeps; store one form.
      message: `${message.replace(/\.$/, "")}${rule ? ` (${rule})` : ""}`,
      severity: isError ? "error" : "warning",
    });
  };

  const readJson = (line: string) => {
    let files: EslintJsonFile[];
    try {
      files = JSON.parse(line) as EslintJsonFile[];
    } catch {
      return;
    }
    if (!Array.isArray(files)) return;
    recognized = true;
    for (const f of files) {
      for (const m of f.messages ?? [])
        add(f.filePath, m.line, m.column, m.severity === 2, m.message, m.ruleId);
    }
  };

  return {
    push(line) {
      if (line.startsWith('[{"filePath":') || line === "[]") {
        readJson(line);
        return;
      }
      const s = summary.exec(line);
      if (s) {
        recognized = true;
        reportedErrors = Number(s[2]);
        file = undefined;
        return;
      }
      if (line !== "" && !/^\s/.test(line)) {
        // A path line starts a file's block (absolute on Unix, or relative with an extension).
        file = /^(?:\/|[A-Za-z]:\\|\.{0,2}[\w@-])\S*\.\w+$/.test(line) ? line : undefined;
        return;
      }
      if (!file) return;
      const m = row.exec(line);
      if (m) add(file, Number(m[1]), Number(m[2]), m[3] === "error", m[4]!, m[5]);
    },
    finish() {
      return {
        parser: "eslint",
        recognized: recognized || sink.findings.length > 0,
        findings: sink.findings,
        dropped: sink.dropped,
        failed: 0,
        passed: 0,
        errors: reportedErrors ?? errors,
      };
    },
  };
}
