// Vitest's default reporter, read from a real run and compared with the JSON report the same
// run wrote (`--reporter=default --reporter=json`).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertThrowFromSourceLocated,
  bin,
  compactRun,
  failuresOf,
  readJestJsonReport,
  runTool,
  sumSuiteWithExpect,
  useTempProject,
} from "./tool-run.test-support.ts";

const project = useTempProject("vitest", {
  "package.json": '{"name":"vitest-fixture","type":"module"}\n',
  "src/sum.ts":
    "export const sum = (a: number, b: number) => a + b;\nexport function parse(s: string): number {\n  if (!s) throw new TypeError('empty input');\n  return Number(s);\n}\n",
  "test/sum.test.ts": [
    'import { describe, expect, it, test } from "vitest";',
    'import { parse, sum } from "../src/sum";',
    ...sumSuiteWithExpect,
  ].join("\n"),
});

test("vitest's failures match its JSON report of the same run", async () => {
  const run = await runTool(
    bin("vitest"),
    ["run", "--reporter=default", "--reporter=json", "--outputFile.json=report.json"],
    { cwd: project.dir },
  );
  assert.equal(run.exitCode, 1);
  const report = readJestJsonReport(project.path("report.json"), project.dir);
  const feedback = compactRun(run, "vitest run", project.dir);
  assert.deepEqual(feedback.summary.parsers, ["vitest"]);
  assert.equal(report.expected.length, 3);
  assert.deepEqual(failuresOf(feedback.findings), report.expected);
  assert.equal(feedback.summary.failed, report.failed);
  assert.equal(feedback.summary.passed, report.passed);
  assertThrowFromSourceLocated(feedback.findings, "src/sum.ts");
});
