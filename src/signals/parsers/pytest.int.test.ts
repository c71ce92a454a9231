// pytest's terminal report compared with the JUnit XML the same run wrote (--junitxml).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseJUnitXml } from "./junit-xml.ts";
import { compactRun, failuresOf, junitFailures, runTool, useTempProject } from "./tool-run.test-support.ts";

// Third-party plugins (hypothesis, benchmark …) only slow the start-up down here.
const env = { PYTEST_DISABLE_PLUGIN_AUTOLOAD: "1" };

const project = useTempProject("pytest", {
  "calc.py":
    "def add(a, b):\n    return a + b\n\ndef parse(s):\n    if not s:\n        raise ValueError('empty input')\n    return int(s)\n",
  "tests/test_calc.py": [
    "import pytest",
    "from calc import add, parse",
    "",
    "def test_adds():",
    "    assert add(1, 2) == 4",
    "",
    "def test_passes():",
    "    assert add(1, 1) == 2",
    "",
    "class TestParse:",
    "    def test_rejects_empty(self):",
    "        parse('')",
    "",
    '@pytest.mark.parametrize("x", [1, 2])',
    "def test_param(x):",
    "    assert x == 1",
    "",
  ].join("\n"),
  "tests/conftest.py": "import sys, os\nsys.path.insert(0, os.path.dirname(os.path.dirname(__file__)))\n",
});

test("pytest's failures match its JUnit XML report of the same run", async () => {
  const run = await runTool(
    "python3",
    ["-m", "pytest", "-p", "no:cacheprovider", "--junitxml=report.xml", "tests"],
    {
      cwd: project.dir,
      env,
    },
  );
  assert.equal(run.exitCode, 1);
  const xml = readFileSync(project.path("report.xml"), "utf8");
  // JUnit names a test `classname` + name; the first `file.py:N:` line of the failure is its first frame.
  const expected = junitFailures(xml)
    .map((f) => {
      const loc = /^([\w./-]+\.py):(\d+):/m.exec(f.body);
      return { name: f.name, file: loc?.[1], line: loc ? Number(loc[2]) : undefined };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const feedback = compactRun(run, "python3 -m pytest tests", project.dir);
  assert.deepEqual(feedback.summary.parsers, ["pytest"]);
  assert.equal(expected.length, 3);
  const actual = failuresOf(feedback.findings)
    .map((f) => ({ name: f.test.split("::").at(-1)!, file: f.file, line: f.line }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  assert.deepEqual(actual, expected);
  assert.ok(
    feedback.findings.every((f) => f.test?.startsWith("tests/test_calc.py::")),
    "full node ids",
  );
  assert.equal(feedback.summary.failed, 3);
  assert.equal(feedback.summary.passed, 2);
  const empty = feedback.findings.find((f) => f.test === "tests/test_calc.py::TestParse::test_rejects_empty");
  assert.equal(empty?.message, "ValueError: empty input");
  // The JUnit parser reads the same report to the same locations.
  const fromXml = failuresOf(parseJUnitXml(xml, { cwd: project.dir })).map((f) => ({
    file: f.file,
    line: f.line,
  }));
  assert.deepEqual(
    fromXml.sort(byLocation),
    expected.map((e) => ({ file: e.file, line: e.line })).sort(byLocation),
  );
});

function byLocation(a: { file?: string; line?: number }, b: { file?: string; line?: number }): number {
  return `${a.file}:${a.line}` < `${b.file}:${b.line}` ? -1 : 1;
}

test("a test file that fails to import is a collection error, not a silent pass", async () => {
  const broken = project.path("tests/test_broken.py");
  const { writeFileSync, rmSync } = await import("node:fs");
  writeFileSync(broken, "import does_not_exist\n\ndef test_x():\n    pass\n");
  try {
    const run = await runTool("python3", ["-m", "pytest", "-p", "no:cacheprovider", "tests/test_broken.py"], {
      cwd: project.dir,
      env,
    });
    assert.equal(run.exitCode, 2);
    const feedback = compactRun(run, "pytest tests/test_broken.py", project.dir);
    assert.equal(feedback.summary.status, "parsed");
    const error = feedback.findings.find((f) => f.kind === "runtime-error");
    assert.equal(error?.file, "tests/test_broken.py");
    assert.match(error?.message ?? "", /ModuleNotFoundError/);
  } finally {
    rmSync(broken);
  }
});
