// Mocha's spec reporter compared with its JSON reporter. Mocha takes one reporter per run, so
// the same (deterministic) suite runs twice.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  assertThrowFromSourceLocated,
  bin,
  byTest,
  compactRun,
  failuresOf,
  firstUserFrame,
  runTool,
  sumModuleCommonJs,
  useTempProject,
} from "./tool-run.test-support.ts";

// The shared sum suite, with node:assert in place of expect.
const project = useTempProject("mocha", {
  "src/sum.js": sumModuleCommonJs,
  "test/sum.spec.js": [
    'const assert = require("node:assert");',
    'const { sum, parse } = require("../src/sum");',
    'describe("sum", () => {',
    '  it("adds", () => { assert.strictEqual(sum(1, 2), 4); });',
    '  it("passes", () => { assert.strictEqual(sum(1, 1), 2); });',
    '  describe("parse", () => { it("rejects empty", () => { parse(""); }); });',
    "});",
    'it("objects", () => { assert.deepStrictEqual({ a: 1 }, { a: 2 }); });',
    "",
  ].join("\n"),
});

interface MochaReport {
  stats: { passes: number; failures: number };
  failures: { fullTitle: string; err: { stack?: string } }[];
}

test("mocha's failures match its JSON report", async () => {
  const run = await runTool(bin("mocha"), [], { cwd: project.dir });
  assert.equal(run.exitCode, 3, "mocha exits with the number of failures");
  const json = await runTool(bin("mocha"), ["--reporter", "json"], { cwd: project.dir });
  const report = JSON.parse(json.stdout) as MochaReport;
  // The JSON names a test by its titles joined with spaces; ours keeps the levels apart.
  const expected = report.failures
    .map((f) => ({ test: f.fullTitle, ...firstUserFrame(f.err.stack ?? "", project.dir) }))
    .sort(byTest);
  const feedback = compactRun(run, "mocha", project.dir);
  assert.deepEqual(feedback.summary.parsers, ["mocha"]);
  const actual = failuresOf(feedback.findings).map((f) => ({ ...f, test: f.test.split(" > ").join(" ") }));
  assert.equal(expected.length, 3);
  assert.deepEqual(actual.sort(byTest), expected);
  assert.equal(feedback.summary.failed, report.stats.failures);
  assert.equal(feedback.summary.passed, report.stats.passes);
  assertThrowFromSourceLocated(feedback.findings, "src/sum.js");
});
