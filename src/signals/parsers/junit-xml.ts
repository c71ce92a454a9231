// JUnit XML, which many runners write (node --test-reporter=junit, pytest --junitxml,
// jest-junit, go-junit-report, cargo2junit …). Read as a stream of tags: open and close
// `<testsuite>` for the name path, and each complete `<testcase>` element on its own, so a
// big report never needs a DOM. `parseJUnitXml` reads a whole report file.
import { firstRepoFrame, isStackFrame, normalizePath } from "../stack-frames.ts";
import type { Finding } from "../types.ts";
import {
  FindingSink,
  type LineParser,
  makeExcerpt,
  type OutputParser,
  type ParseContext,
} from "./output-parser.ts";

const maxBuffer = 4 * 1024 * 1024;

export const junitXmlParser: OutputParser = {
  name: "junit",
  command: /junit/i,
  create: (context) => createJUnitParser(context),
};

export function parseJUnitXml(xml: string, context: Partial<ParseContext> = {}): Finding[] {
  const parser = createJUnitParser({ maxFindings: 10_000, ...context });
  for (const line of xml.split("\n")) parser.push(line);
  return parser.finish().findings;
}

function createJUnitParser(context: ParseContext): LineParser {
  const sink = new FindingSink(context.maxFindings);
  const suites: string[] = [];
  let buffer = "";
  let inside = false;
  let root: "testsuites" | "testsuite" | undefined;
  let recognized = false;
  let passed = 0;
  let failed = 0;
  let errors = 0;

  const readTestcase = (element: string) => {
    const attrs = readAttributes(/^<testcase\b([^>]*?)\/?>/.exec(element)?.[1] ?? "");
    const problem = /<(failure|error)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1>)/.exec(element);
    if (!problem) {
      if (!/<skipped\b/.test(element)) passed++;
      return;
    }
    const isError = problem[1] === "error";
    if (isError) errors++;
    else failed++;
    const problemAttrs = readAttributes(problem[2] ?? "");
    const body = unescapeXml(problem[3] ?? "").split("\n");
    const frame = firstRepoFrame(body, context.cwd) ?? firstFileLine(body, context.cwd);
    const message =
      unescapeXml(problemAttrs.get("message") ?? "").trim() || body.find((l) => l.trim() !== "")?.trim();
    const file = attrs.get("file");
    sink.add({
      source: "junit",
      kind: "test-failure",
      test: [...suites, attrs.get("name") ?? "?"].join(" > "),
      file: frame?.file ?? (file ? normalizePath(file, context.cwd) : undefined),
      line: frame?.line ?? (attrs.has("line") ? Number(attrs.get("line")) : undefined),
      column: frame?.column,
      message: (message ?? "failed").split("\n")[0]!,
      excerpt: makeExcerpt(body.filter((l) => l.trim() !== "" && !isStackFrame(l)).slice(0, 6)),
    });
  };

  // Consumes every complete tag or testcase element at the front of the buffer.
  const drain = () => {
    for (;;) {
      const start = buffer.search(/<\/?testsuites?\b|<testcase\b/);
      if (start < 0) {
        buffer = buffer.length > 64 ? buffer.slice(-64) : buffer;
        return;
      }
      buffer = buffer.slice(start);
      if (buffer.startsWith("<testcase")) {
        const openEnd = buffer.indexOf(">");
        if (openEnd < 0) return;
        let end = openEnd + 1;
        if (buffer[openEnd - 1] !== "/") {
          const close = buffer.indexOf("</testcase>", openEnd);
          if (close < 0) return;
          end = close + "</testcase>".length;
        }
        readTestcase(buffer.slice(0, end));
        buffer = buffer.slice(end);
        continue;
      }
      const tagEnd = buffer.indexOf(">");
      if (tagEnd < 0) return;
      const tag = buffer.slice(0, tagEnd + 1);
      buffer = buffer.slice(tagEnd + 1);
      recognized = true;
      if (tag.startsWith("<testsuite ") || tag === "<testsuite>") {
        if (!tag.endsWith("/>"))
          suites.push(unescapeXml(readAttributes(tag.slice(10, -1)).get("name") ?? ""));
      } else if (tag.startsWith("</testsuite>")) suites.pop();
    }
  };

  return {
    push(line) {
      if (!inside) {
        const at = line.search(/<testsuites?\b/);
        if (at < 0) return;
        inside = true;
        root = line.startsWith("<testsuites", at) ? "testsuites" : "testsuite";
        line = line.slice(at);
      }
      buffer += `${line}\n`;
      if (buffer.length > maxBuffer) buffer = buffer.slice(-maxBuffer);
      drain();
      if (line.includes(`</${root}>`) && suites.length === 0) inside = false;
    },
    finish() {
      return {
        parser: "junit",
        recognized,
        findings: sink.findings,
        dropped: sink.dropped,
        failed: failed + errors,
        passed,
        errors: 0,
      };
    },
  };
}

function readAttributes(text: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const m of text.matchAll(/([\w:-]+)="([^"]*)"/g)) attrs.set(m[1]!, unescapeXml(m[2]!));
  return attrs;
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCodePoint(Number.parseInt(code, 16)))
    .replace(/&amp;/g, "&");
}

/** pytest and go put `file.py:7: AssertionError` / `file_test.go:7:` lines in the body. */
function firstFileLine(lines: string[], cwd?: string) {
  for (const line of lines) {
    const m = /^\s*([\w./-]+\.\w+):(\d+):/.exec(line);
    if (m) return { file: normalizePath(m[1]!, cwd), line: Number(m[2]), column: undefined };
  }
  return undefined;
}
