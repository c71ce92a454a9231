// TAP as node:test writes it (`--test-reporter=tap`, and the default when stdout is not a
// terminal on Node 20): `# Subtest: name` opens a level, `not ok N - name` closes it, and a
// YAML block carries `error:`, `location:` and `stack:`. Plain TAP from other producers
// (no YAML, indented message lines) is read too.
import { firstRepoFrame, normalizePath } from "../stack-frames.ts";
import {
  FindingSink,
  firstMessage,
  type IndentedFailure,
  isIndentedUnder,
  LineBlock,
  type LineParser,
  makeExcerpt,
  type OutputParser,
  type ParseContext,
  readCountLine,
} from "./output-parser.ts";

const subtest = /^(\s*)# Subtest: (.+)$/;
const point = /^(\s*)(not ok|ok) \d+(?: -)? (.*?)(?: # (?:SKIP|TODO)\b.*)?$/i;
const counter = /^# (tests|pass|fail) (\d+)$/;

export const nodeTestTapParser: OutputParser = {
  name: "node-test",
  command: /(?:^|[\s/])node(?:\s+\S+)*\s+--test\b|--test-reporter[= ]tap\b|(?:^|\s)tap(?:\s|$)/,
  create: (context) => createTapParser(context),
};

function createTapParser(context: ParseContext): LineParser {
  const sink = new FindingSink(context.maxFindings);
  const names: string[] = [];
  const counts = new Map<string, number>();
  let pending: IndentedFailure | undefined;
  let sawVersion = false;
  let failures = 0;

  const flush = () => {
    if (!pending) return;
    const { name, block } = pending;
    pending = undefined;
    const yaml = readYaml(block.lines);
    if (yaml.get("type") === "'suite'" || yaml.get("failureType") === "'subtestsFailed'") return;
    failures++;
    const errorLines = yaml.block("error") ?? (yaml.size === 0 ? block.lines.map((l) => l.trim()) : []);
    const stack = yaml.block("stack") ?? block.lines;
    const frame = firstRepoFrame(
      stack.map((l) => (/^\s*at\s/.test(l) || l.trim() === "" ? l : `    at ${l.trim()}`)),
      context.cwd,
    );
    const location = /^'?(.+?):(\d+):(\d+)'?$/.exec(yaml.get("location") ?? "");
    const errorName = yaml.get("name");
    const { message, rest } = firstMessage(errorLines.map(unquote), "test failed");
    sink.add({
      source: "node-test",
      kind: "test-failure",
      test: name,
      file: frame?.file ?? (location ? normalizePath(location[1]!, context.cwd) : undefined),
      line: frame?.line ?? (location ? Number(location[2]) : undefined),
      column: frame?.column ?? (location ? Number(location[3]) : undefined),
      message:
        errorName && !/^'?(?:AssertionError|Error)'?$/.test(errorName)
          ? `${unquote(errorName)}: ${message}`
          : message,
      excerpt: makeExcerpt(rest),
    });
  };

  return {
    push(line) {
      if (line === "TAP version 13" || line === "TAP version 14") {
        sawVersion = true;
        return;
      }
      if (readCountLine(counter, line, counts)) {
        flush();
        return;
      }
      const s = subtest.exec(line);
      if (s) {
        flush();
        const depth = Math.floor(s[1]!.length / 4);
        names.length = depth;
        names[depth] = s[2]!;
        return;
      }
      const p = point.exec(line);
      if (p) {
        flush();
        const depth = Math.floor(p[1]!.length / 4);
        const leaf = p[3]!;
        const path = names.slice(0, depth);
        if (p[2]!.toLowerCase() === "not ok") {
          pending = { name: [...path, leaf].join(" > "), indent: p[1]!.length, block: new LineBlock() };
        }
        names.length = depth;
        return;
      }
      if (pending) {
        if (isIndentedUnder(line, pending.indent)) pending.block.push(line);
        else flush();
      }
    },
    finish() {
      flush();
      return sink.result("node-test", {
        recognized: (sawVersion && (counts.size > 0 || failures > 0)) || counts.has("fail"),
        failed: counts.get("fail") ?? failures,
        passed: counts.get("pass"),
        errors: 0,
      });
    },
  };
}

/** Just enough YAML for node:test diagnostics: `key: value` and `key: |-` blocks. */
function readYaml(lines: string[]) {
  const values = new Map<string, string>();
  const blocks = new Map<string, string[]>();
  const start = lines.findIndex((l) => l.trim() === "---");
  if (start >= 0) {
    const base = lines[start]!.length - lines[start]!.trimStart().length;
    let current: string[] | undefined;
    for (const line of lines.slice(start + 1)) {
      if (line.trim() === "...") break;
      const indent = line.length - line.trimStart().length;
      const kv = indent === base ? /^\s*([\w-]+):\s*(.*)$/.exec(line) : null;
      if (kv) {
        current = undefined;
        if (kv[2] === "|-" || kv[2] === "|" || kv[2] === "") {
          current = [];
          blocks.set(kv[1]!, current);
        } else values.set(kv[1]!, kv[2]!);
      } else if (current) current.push(line.slice(Math.min(indent, base + 2)));
    }
  }
  return {
    size: values.size + blocks.size,
    get: (key: string) => values.get(key),
    block: (key: string) => blocks.get(key) ?? (values.has(key) ? [values.get(key)!] : undefined),
  };
}

function unquote(text: string): string {
  const t = text.trim();
  return /^'.*'$/.test(t) ? t.slice(1, -1).replace(/''/g, "'") : text;
}
