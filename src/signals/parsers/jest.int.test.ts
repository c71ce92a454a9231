// Jest's default reporter, read from a real run and compared with the --json report the same
// run wrote.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertThrowFromSourceLocated,
  bin,
  compactRun,
  failuresOf,
  readJestJsonReport,
  runTool,
  sumModuleCommonJs,
  sumSuiteWithExpect,
  useTempProject,
} from "./tool-run.test-support.ts";

const project = useTempProject("jest", {
  "package.json": '{"name":"jest-fixture","jest":{"testEnvironment":"node"}}\n',
  "src/sum.js": sumModuleCommonJs,
  "test/sum.test.js": ['const { sum, parse } = require("../src/sum");', ...sumSuiteWithExpect].join("\n"),
  "test/broken.test.js": 'const x = ;\ntest("never", () => {});\n',
});

test("jest's failures match its --json report, and a suite that fails to load is an error", async () => {
  const run = await runTool(
    bin("jest"),
    ["--ci", "--runInBand", "--no-watchman", "--json", "--outputFile=report.json", "--rootDir", project.dir],
    { cwd: project.dir },
  );
  assert.equal(run.exitCode, 1);
  const report = readJestJsonReport(project.path("report.json"), project.dir);
  // Jest writes the JSON to the file and its human report to stderr.
  const feedback = compactRun(
    { ...run, output: run.output.replace(/^Test results written to.*$/m, "") },
    "jest",
    project.dir,
  );
  assert.deepEqual(feedback.summary.parsers, ["jest"]);
  assert.equal(report.expected.length, 3);
  assert.deepEqual(failuresOf(feedback.findings), report.expected);
  assert.equal(feedback.summary.failed, report.failed);
  assert.equal(feedback.summary.passed, report.passed);
  const broken = feedback.findings.find((f) => f.kind === "runtime-error");
  assert.equal(broken?.file, "test/broken.test.js");
  assert.match(broken?.message ?? "", /broken\.test\.js/);
  assertThrowFromSourceLocated(feedback.findings, "src/sum.js");
});
