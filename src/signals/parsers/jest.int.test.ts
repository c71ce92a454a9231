// Jest's default reporter, read from a real run and compared with the --json report the same
// run wrote.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import {
  bin,
  byTest,
  compactRun,
  createTempProject,
  failuresOf,
  firstUserFrame,
  runTool,
  type TempProject,
} from "./tool-run.test-support.ts";

let project: TempProject;

before(() => {
  project = createTempProject("jest", {
    "package.json": '{"name":"jest-fixture","jest":{"testEnvironment":"node"}}\n',
    "src/sum.js":
      "exports.sum = (a, b) => a + b;\nexports.parse = (s) => {\n  if (!s) throw new TypeError('empty input');\n  return Number(s);\n};\n",
    "test/sum.test.js": [
      'const { sum, parse } = require("../src/sum");',
      'describe("sum", () => {',
      '  test("adds", () => { expect(sum(1, 2)).toBe(4); });',
      '  test("passes", () => { expect(sum(1, 1)).toBe(2); });',
      '  describe("parse", () => { it("rejects empty", () => { parse(""); }); });',
      "});",
      'test("objects", () => { expect({ a: 1 }).toEqual({ a: 2 }); });',
      "",
    ].join("\n"),
    "test/broken.test.js": 'const x = ;\ntest("never", () => {});\n',
  });
});

after(() => project.dispose());

interface JestReport {
  numFailedTests: number;
  numPassedTests: number;
  testResults: {
    name: string;
    status: string;
    assertionResults: {
      ancestorTitles: string[];
      title: string;
      status: string;
      failureMessages: string[];
    }[];
  }[];
}

test("jest's failures match its --json report, and a suite that fails to load is an error", async () => {
  const run = await runTool(
    bin("jest"),
    ["--ci", "--runInBand", "--no-watchman", "--json", "--outputFile=report.json", "--rootDir", project.dir],
    { cwd: project.dir },
  );
  assert.equal(run.exitCode, 1);
  const report = JSON.parse(readFileSync(project.path("report.json"), "utf8")) as JestReport;
  const expected = report.testResults
    .flatMap((file) => file.assertionResults)
    .filter((a) => a.status === "failed")
    .map((a) => ({
      test: [...a.ancestorTitles, a.title].join(" > "),
      ...firstUserFrame(a.failureMessages[0] ?? "", project.dir),
    }))
    .sort(byTest);
  // Jest writes the JSON to the file and its human report to stderr.
  const feedback = compactRun(
    { ...run, output: run.output.replace(/^Test results written to.*$/m, "") },
    "jest",
    project.dir,
  );
  assert.deepEqual(feedback.summary.parsers, ["jest"]);
  assert.equal(expected.length, 3);
  assert.deepEqual(failuresOf(feedback.findings), expected);
  assert.equal(feedback.summary.failed, report.numFailedTests);
  assert.equal(feedback.summary.passed, report.numPassedTests);
  const broken = feedback.findings.find((f) => f.kind === "runtime-error");
  assert.equal(broken?.file, "test/broken.test.js");
  assert.match(broken?.message ?? "", /broken\.test\.js/);
  const empty = feedback.findings.find((f) => f.test === "sum > parse > rejects empty");
  assert.equal(empty?.file, "src/sum.js");
  assert.equal(empty?.message, "TypeError: empty input");
});
