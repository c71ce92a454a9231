// Shared by the parsers' integration tests: write a small failing project to a temp dir,
// run the real tool on it, and read the tool's own machine-readable report as the truth the
// parser is compared against; plus the small `sum` suite the jest, vitest and mocha tests
// share. Nothing here parses human-readable output.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before } from "node:test";
import { compactOutput } from "../index.ts";
import type { CompactFeedback, Finding } from "../types.ts";

export const repoRoot = resolve(import.meta.dirname, "../../..");
export const bin = (name: string) => join(repoRoot, "node_modules/.bin", name);

export interface TempProject {
  dir: string;
  path(relative: string): string;
  dispose(): void;
}

/** A fresh directory with the given files (paths relative to it). */
export function createTempProject(prefix: string, files: Record<string, string>): TempProject {
  const dir = mkdtempSync(join(tmpdir(), `closedloop-signals-${prefix}-`));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return {
    dir,
    path: (relative) => join(dir, relative),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A temp project made before this test file's tests run and removed after them. */
export function useTempProject(prefix: string, files: Record<string, string>): TempProject {
  let project: TempProject | undefined;
  before(() => {
    project = createTempProject(prefix, files);
  });
  after(() => project?.dispose());
  const current = () => {
    if (!project) throw new Error(`the ${prefix} project exists only while this file's tests run`);
    return project;
  };
  return {
    get dir() {
      return current().dir;
    },
    path: (relative) => current().path(relative),
    dispose: () => current().dispose(),
  };
}

export interface ToolRun {
  /** stdout and stderr interleaved as they arrived, as a terminal would show them. */
  output: string;
  stdout: string;
  exitCode: number | null;
}

export function runTool(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<ToolRun> {
  return new Promise((resolvePromise, reject) => {
    // A `node --test` child of a test would otherwise report to our runner instead of printing.
    const { NODE_TEST_CONTEXT: _, ...hostEnv } = process.env;
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...hostEnv, NO_COLOR: "1", FORCE_COLOR: "0", CI: "1", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 90_000);
    child.on("error", reject);
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      resolvePromise({ output, stdout, exitCode });
    });
  });
}

export function compactRun(run: ToolRun, command: string, cwd: string): CompactFeedback {
  return compactOutput(run.output, { command, cwd, exitCode: run.exitCode });
}

/** What a test failure is compared on: its name and its first location in the repo. */
export interface ExpectedFailure {
  test: string;
  file?: string;
  line?: number;
}

export function failuresOf(findings: Finding[]): ExpectedFailure[] {
  return findings
    .filter((f) => f.kind === "test-failure")
    .map((f) => ({ test: f.test ?? "", file: f.file, line: f.line }))
    .sort(byTest);
}

export function byTest(a: ExpectedFailure, b: ExpectedFailure): number {
  return a.test < b.test ? -1 : a.test > b.test ? 1 : 0;
}

/** Jest's `--json` report; vitest's json reporter writes the same shape. */
interface JestJsonReport {
  numFailedTests: number;
  numPassedTests: number;
  testResults: {
    assertionResults: {
      ancestorTitles: string[];
      title: string;
      status: string;
      failureMessages: string[];
    }[];
  }[];
}

/** The failed tests of a jest-format JSON report, located by their first user frame, and its totals. */
export function readJestJsonReport(
  path: string,
  cwd: string,
): { expected: ExpectedFailure[]; failed: number; passed: number } {
  const report = JSON.parse(readFileSync(path, "utf8")) as JestJsonReport;
  const expected = report.testResults
    .flatMap((file) => file.assertionResults)
    .filter((a) => a.status === "failed")
    .map((a) => ({
      test: [...a.ancestorTitles, a.title].join(" > "),
      ...firstUserFrame(a.failureMessages[0] ?? "", cwd),
    }))
    .sort(byTest);
  return { expected, failed: report.numFailedTests, passed: report.numPassedTests };
}

/**
 * The suite the jest, vitest and mocha tests share, as jest and vitest write it: one wrong
 * sum, one pass, one TypeError thrown from src/, one object diff.
 */
export const sumSuiteWithExpect = [
  'describe("sum", () => {',
  '  test("adds", () => { expect(sum(1, 2)).toBe(4); });',
  '  test("passes", () => { expect(sum(1, 1)).toBe(2); });',
  '  describe("parse", () => { it("rejects empty", () => { parse(""); }); });',
  "});",
  'test("objects", () => { expect({ a: 1 }).toEqual({ a: 2 }); });',
  "",
];

/** The CommonJS `src/sum.js` that suite tests (jest and mocha). */
export const sumModuleCommonJs =
  "exports.sum = (a, b) => a + b;\nexports.parse = (s) => {\n  if (!s) throw new TypeError('empty input');\n  return Number(s);\n};\n";

/** The TypeError from src/ is reported at its source, with its message. */
export function assertThrowFromSourceLocated(findings: Finding[], file: string): void {
  const empty = findings.find((f) => f.test === "sum > parse > rejects empty");
  assert.equal(empty?.file, file);
  assert.equal(empty?.message, "TypeError: empty input");
}

/** First `path:line:col` frame of a JavaScript stack that is not a dependency or the runtime. */
export function firstUserFrame(stack: string, cwd: string): { file: string; line: number } | undefined {
  for (const m of stack.matchAll(/(?:\(|at |❯ )(?:file:\/\/)?([^\s()]+):(\d+):\d+\)?$/gm)) {
    const file = m[1]!;
    if (file.startsWith("node:") || file.includes("node_modules") || file.includes("<anonymous>")) continue;
    return { file: file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file, line: Number(m[2]) };
  }
  return undefined;
}

/** The `<testcase>`s of a JUnit report that failed, with the suite names around them. */
export function junitFailures(xml: string): { path: string[]; name: string; body: string }[] {
  const out: { path: string[]; name: string; body: string }[] = [];
  const suites: string[] = [];
  const tag =
    /<testsuite\b[^>]*?\sname="([^"]*)"[^>]*?(\/?)>|<\/testsuite>|<testcase\b[^>]*?\sname="([^"]*)"[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(tag)) {
    if (m[1] !== undefined) {
      if (m[2] !== "/") suites.push(decode(m[1]));
    } else if (m[0] === "</testsuite>") suites.pop();
    else if (m[4] && /<(failure|error)\b/.test(m[4]))
      out.push({ path: [...suites], name: decode(m[3]!), body: decode(m[4]) });
  }
  return out;
}

function decode(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#10;/g, "\n")
    .replace(/&amp;/g, "&");
}
