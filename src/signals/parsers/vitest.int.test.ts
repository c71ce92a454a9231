// Vitest's default reporter, read from a real run and compared with the JSON report the same
// run wrote (`--reporter=default --reporter=json`).
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
  project = createTempProject("vitest", {
    "package.json": '{"name":"vitest-fixture","type":"module"}\n',
    "src/sum.ts":
      "export const sum = (a: number, b: number) => a + b;\nexport function parse(s: string): number {\n  if (!s) throw new TypeError('empty input');\n  return Number(s);\n}\n",
    "test/sum.test.ts": [
      'import { describe, expect, it, test } from "vitest";',
      'import { parse, sum } from "../src/sum";',
      'describe("sum", () => {',
      '  test("adds", () => { expect(sum(1, 2)).toBe(4); });',
      '  test("passes", () => { expect(sum(1, 1)).toBe(2); });',
      '  describe("parse", () => { it("rejects empty", () => { parse(""); }); });',
      "});",
      'test("objects", () => { expect({ a: 1 }).toEqual({ a: 2 }); });',
      "",
    ].join("\n"),
  });
});

after(() => project.dispose());

interface VitestReport {
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

test("vitest's failures match its JSON report of the same run", async () => {
  const run = await runTool(
    bin("vitest"),
    ["run", "--reporter=default", "--reporter=json", "--outputFile.json=report.json"],
    { cwd: project.dir },
  );
  assert.equal(run.exitCode, 1);
  const report = JSON.parse(readFileSync(project.path("report.json"), "utf8")) as VitestReport;
  const expected = report.testResults
    .flatMap((file) => file.assertionResults)
    .filter((a) => a.status === "failed")
    .map((a) => ({
      test: [...a.ancestorTitles, a.title].join(" > "),
      ...firstUserFrame(a.failureMessages[0] ?? "", project.dir),
    }))
    .sort(byTest);
  const feedback = compactRun(run, "vitest run", project.dir);
  assert.deepEqual(feedback.summary.parsers, ["vitest"]);
  assert.equal(expected.length, 3);
  assert.deepEqual(failuresOf(feedback.findings), expected);
  assert.equal(feedback.summary.failed, report.numFailedTests);
  assert.equal(feedback.summary.passed, report.numPassedTests);
  const empty = feedback.findings.find((f) => f.test === "sum > parse > rejects empty");
  assert.equal(empty?.file, "src/sum.ts");
  assert.equal(empty?.message, "TypeError: empty input");
});
