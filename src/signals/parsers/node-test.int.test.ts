// node:test's spec and TAP reporters, read from a real run and compared with the JUnit report
// the same run wrote.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseJUnitXml } from "./junit-xml.ts";
import {
  byTest,
  compactRun,
  type ExpectedFailure,
  failuresOf,
  firstUserFrame,
  junitFailures,
  runTool,
  useTempProject,
} from "./tool-run.test-support.ts";

const project = useTempProject("node-test", {
  "package.json": '{"type":"module"}\n',
  "src/math.js":
    "export const add = (a, b) => a + b;\nexport function check(v) {\n  if (v < 0) throw new RangeError('negative: ' + v);\n  return v;\n}\n",
  "test/math.test.js": [
    'import assert from "node:assert/strict";',
    'import { describe, test } from "node:test";',
    'import { add, check } from "../src/math.js";',
    'describe("math", () => {',
    '  test("adds", () => { assert.equal(add(1, 2), 4); });',
    '  test("passes", () => { assert.equal(add(1, 1), 2); });',
    '  describe("nested", () => {',
    '    test("throws from src", () => { check(-1); });',
    "  });",
    "});",
    'test("deep objects", () => { assert.deepEqual({ a: [1, 2] }, { a: [1, 3] }); });',
    'test("skipped", { skip: true }, () => {});',
    "",
  ].join("\n"),
});

async function runWith(reporter: "spec" | "tap") {
  const run = await runTool(
    process.execPath,
    [
      "--test",
      `--test-reporter=${reporter}`,
      "--test-reporter-destination=stdout",
      "--test-reporter=junit",
      "--test-reporter-destination=report.xml",
      "test/",
    ],
    { cwd: project.dir },
  );
  const xml = readFileSync(project.path("report.xml"), "utf8");
  const expected: ExpectedFailure[] = junitFailures(xml)
    .map((f) => ({ test: [...f.path, f.name].join(" > "), ...firstUserFrame(f.body, project.dir) }))
    .sort(byTest);
  return { run, xml, expected };
}

for (const reporter of ["spec", "tap"] as const) {
  test(`the ${reporter} reporter's failures match the JUnit report of the same run`, async () => {
    const { run, expected } = await runWith(reporter);
    assert.equal(run.exitCode, 1);
    const feedback = compactRun(run, "node --test test/", project.dir);
    assert.deepEqual(feedback.summary.parsers, [reporter === "tap" ? "tap" : "node-test"]);
    assert.equal(feedback.summary.status, "parsed");
    assert.equal(expected.length, 3);
    assert.deepEqual(failuresOf(feedback.findings), expected);
    assert.equal(feedback.summary.failed, 3);
    assert.equal(feedback.summary.passed, 1);
    const adds = feedback.findings.find((f) => f.test === "math > adds");
    assert.equal(adds?.message, "Expected values to be strictly equal: 3 !== 4");
    const thrown = feedback.findings.find((f) => f.test === "math > nested > throws from src");
    assert.equal(thrown?.file, "src/math.js", "the first frame inside the repo is the source, not the test");
    assert.match(thrown?.message ?? "", /RangeError.*negative: -1/);
  });
}

test("the JUnit report itself parses to the same failures and locations", async () => {
  const { xml, expected } = await runWith("tap");
  const findings = parseJUnitXml(xml, { cwd: project.dir });
  assert.deepEqual(failuresOf(findings), expected);
});
