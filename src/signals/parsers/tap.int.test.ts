// TAP read from the real producers, run at test time so the output cannot drift from theirs:
// tape, node-tap (its TAP stream and `tap --reporter=tap`), ava --tap, node:test, bats and Perl's prove.
// Each suite has two passes, one failure, one skip and (where the producer has it) one todo;
// what the parser counts is checked against the totals the producer prints itself.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { bin, compactRun, createTempProject, repoRoot, runTool } from "./tool-run.test-support.ts";

const nodePath = { NODE_PATH: `${repoRoot}/node_modules` };

const tapeSuite = [
  'const test = require("tape");',
  'test("adds", (t) => { t.equal(1 + 1, 2, "one and one"); t.equal(2 + 2, 4, "two and two"); t.end(); });',
  'test("subtracts", (t) => { t.equal(3 - 1, 1, "three minus one"); t.end(); });',
  'test("later", { skip: true }, (t) => { t.end(); });',
  'test("someday", { todo: true }, (t) => { t.ok(false, "not yet"); t.end(); });',
  "",
].join("\n");

function hasCommand(name: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

test("tape: flat assertions under `# name` comments, named, counted and located", async () => {
  const project = createTempProject("tape", { "test.js": tapeSuite });
  try {
    const run = await runTool(process.execPath, ["test.js"], { cwd: project.dir, env: nodePath });
    assert.equal(run.exitCode, 1);
    assert.match(run.output, /^# fail {2}1$/m, "tape's own totals");
    const feedback = compactRun(run, "node test.js", project.dir);
    assert.deepEqual(feedback.summary.parsers, ["tap"]);
    assert.equal(feedback.summary.failed, 1);
    assert.equal(feedback.summary.passed, 3, "tape counts the todo assertion as a pass");
    assert.deepEqual(feedback.passingTests, ["adds > one and one", "adds > two and two"]);
    const [failure, ...others] = feedback.findings;
    assert.equal(others.length, 0, "the TODO failure is not a failure");
    assert.equal(failure?.test, "subtracts > three minus one");
    assert.equal(failure?.message, "expected 1, actual 2");
    assert.equal(failure?.file, "test.js");
    assert.equal(failure?.line, 3);
  } finally {
    project.dispose();
  }
});

test("tape: a passing run of many tests counts them, each with its own id", async () => {
  const lines = ['const test = require("tape");'];
  for (let i = 0; i < 334; i++) lines.push(`test("t${i}", (t) => { t.equal(${i}, ${i}); t.end(); });`);
  const project = createTempProject("tape-pass", { "test.js": `${lines.join("\n")}\n` });
  try {
    const run = await runTool(process.execPath, ["test.js"], { cwd: project.dir, env: nodePath });
    assert.equal(run.exitCode, 0);
    assert.match(run.output, /^# tests\s+334$/m);
    const feedback = compactRun(run, "npx tape test.js", project.dir);
    assert.equal(feedback.summary.passed, 334);
    assert.equal(feedback.summary.failed, 0);
    assert.equal(feedback.passingTests?.length, 334);
    assert.equal(new Set(feedback.passingTests).size, 334, "repeated assertion names get distinct ids");
  } finally {
    project.dispose();
  }
});

const nodeTapSuite = [
  'const t = require("tap");',
  't.test("parent", async (t) => {',
  '  t.equal(1, 1, "one is one");',
  '  t.test("child", async (t) => { t.equal(2, 3, "two is three"); });',
  "});",
  't.ok(true, "flat");',
  't.skip("skipped one", async () => {});',
  't.todo("later");',
  "",
].join("\n");

for (const form of ["node test.js", "tap --reporter=tap"] as const) {
  test(`node-tap (${form}): nested subtests name their path and a failing parent is not a second failure`, async () => {
    const project = createTempProject("node-tap", { "test.js": nodeTapSuite });
    // `tap` loads its plugins by ESM import, which NODE_PATH does not reach.
    symlinkSync(join(repoRoot, "node_modules"), project.path("node_modules"));
    try {
      const run =
        form === "node test.js"
          ? await runTool(process.execPath, ["test.js"], { cwd: project.dir, env: nodePath })
          : // tap's own 30 s per-file limit is too short on a loaded machine (it builds its plugins first).
            await runTool(bin("tap"), ["--reporter=tap", "--disable-coverage", "--timeout=240", "test.js"], {
              cwd: project.dir,
              env: nodePath,
              timeoutMs: 280_000,
            });
      assert.equal(run.exitCode, 1);
      const feedback = compactRun(run, form, project.dir);
      assert.deepEqual(feedback.summary.parsers, ["tap"]);
      const prefix = form === "node test.js" ? "" : "test.js > ";
      assert.deepEqual(
        feedback.findings.map((f) => f.test),
        [`${prefix}parent > child > two is three`],
      );
      assert.equal(feedback.findings[0]?.file, "test.js");
      assert.equal(feedback.findings[0]?.line, 4);
      assert.deepEqual(feedback.passingTests, [`${prefix}parent > one is one`, `${prefix}flat`]);
      assert.equal(feedback.summary.failed, 1);
      assert.equal(feedback.summary.passed, 2);
    } finally {
      project.dispose();
    }
  });
}

const avaSuite = [
  'import test from "ava";',
  'test("adds", (t) => { t.is(1 + 1, 2); });',
  'test("subtracts", (t) => { t.is(3 - 1, 1, "three minus one"); });',
  'test.skip("later", (t) => { t.pass(); });',
  'test.todo("someday");',
  'test("compares objects", (t) => { t.deepEqual({ a: 1 }, { a: 2 }); });',
  "",
].join("\n");

test("ava's TAP reporter: its YAML diagnostics read, its TODO (counted as a fail by ava) is not a failure", async () => {
  const project = createTempProject("ava", {
    "package.json": '{ "type": "module" }\n',
    "test.mjs": avaSuite,
  });
  symlinkSync(join(repoRoot, "node_modules"), project.path("node_modules"));
  try {
    const run = await runTool(bin("ava"), ["--tap", "test.mjs"], { cwd: project.dir, timeoutMs: 120_000 });
    assert.equal(run.exitCode, 1);
    assert.match(run.output, /^# fail 3$/m, "ava's own totals count the todo among its failures");
    const feedback = compactRun(run, "npx ava --tap", project.dir);
    assert.deepEqual(feedback.summary.parsers, ["tap"]);
    assert.deepEqual(
      feedback.findings.map((f) => f.test),
      ["subtracts", "compares objects"],
    );
    assert.equal(feedback.summary.failed, 2);
    assert.equal(feedback.summary.passed, 1);
    assert.deepEqual(feedback.passingTests, ["adds"]);
    assert.match(feedback.findings[0]?.message ?? "", /three minus one/, "the YAML block's message is read");
    assert.match(
      feedback.findings[1]?.message ?? "",
      /t\.deepEqual\(\) failed/,
      "an empty message names the assertion",
    );
    assert.match(feedback.findings[1]?.excerpt ?? "", /a: 2/, "ava's diff is the excerpt");
  } finally {
    project.dispose();
  }
});

test("node:test's TAP: nested suites, SKIP and TODO directives", async () => {
  const project = createTempProject("node-test-tap", {
    "a.test.mjs": [
      'import { describe, test } from "node:test";',
      'import assert from "node:assert/strict";',
      'describe("outer", () => { test("inner passes", () => {}); test("inner fails", () => { assert.equal(1, 2); }); });',
      'test("skipped", { skip: true }, () => {});',
      'test("todo", { todo: true }, () => { throw new Error("later"); });',
      "",
    ].join("\n"),
  });
  try {
    const run = await runTool(process.execPath, ["--test", "--test-reporter=tap", "a.test.mjs"], {
      cwd: project.dir,
    });
    assert.equal(run.exitCode, 1);
    const feedback = compactRun(run, "node --test --test-reporter=tap", project.dir);
    assert.deepEqual(
      feedback.findings.map((f) => f.test),
      ["outer > inner fails"],
    );
    assert.deepEqual(feedback.passingTests, ["outer > inner passes"]);
    assert.equal(feedback.summary.failed, 1);
  } finally {
    project.dispose();
  }
});

test("node:test's TAP: a test file that throws while loading is reported with its error, not as 'test failed'", async () => {
  const project = createTempProject("node-test-load-error", {
    "src/setup.js":
      'throw Object.assign(new Error("EROFS: read-only file system, open \'test/b.test.js\'"), { code: "EROFS" });\n',
    "test/a.test.js": 'require("../src/setup.js");\nrequire("node:test")("never", () => {});\n',
    "test/b.test.js": 'require("node:test")("b passes", () => {});\n',
  });
  try {
    const run = await runTool(process.execPath, ["--test", "test/"], {
      cwd: project.dir,
      env: { CI: "true" },
    });
    assert.equal(run.exitCode, 1);
    assert.match(run.output, /error: 'test failed'/, "node:test's own diagnostics say only this");
    const feedback = compactRun(run, "node --test test/", project.dir);
    const [failure, ...others] = feedback.findings;
    assert.equal(others.length, 0);
    assert.equal(failure?.test, join(project.dir, "test/a.test.js"));
    assert.match(failure?.message ?? "", /^EROFS: read-only file system, open 'test\/b\.test\.js'/);
    assert.equal(failure?.file, "src/setup.js");
    assert.equal(failure?.line, 1);
    assert.deepEqual(feedback.passingTests, ["b passes"]);
  } finally {
    project.dispose();
  }
});

test("a bail-out and a plan that was not finished are findings, not a quiet pass", async () => {
  const project = createTempProject("tap-bail", {
    "bail.js": 'console.log("TAP version 13\\n1..3\\nok 1 - first\\nBail out! database is down");\n',
    "short.js": [
      'const test = require("tape");',
      'test("a", (t) => { t.ok(true, "one"); t.end(); });',
      // tape catches process.exit(); reallyExit skips its exit hook and ends the process with 0.
      'test("b", (t) => { process.reallyExit(0); });',
      "",
    ].join("\n"),
  });
  try {
    const bail = await runTool(process.execPath, ["bail.js"], { cwd: project.dir });
    const bailed = compactRun(bail, "node bail.js | tap", project.dir);
    assert.equal(bailed.summary.errors, 1);
    assert.match(bailed.findings[0]?.message ?? "", /^Bail out! database is down$/);
    const short = await runTool(process.execPath, ["short.js"], { cwd: project.dir, env: nodePath });
    assert.equal(short.exitCode, 0, "the cheat is real: tape exits 0 when the code under test exits");
    const feedback = compactRun(short, "npx tape short.js", project.dir);
    assert.equal(feedback.summary.passed, 1);
    assert.doesNotMatch(short.output, /^# tests/m, "no totals were printed");
  } finally {
    project.dispose();
  }
});

test("bats: flat points without a version line, diagnostics located", async () => {
  assert.ok(hasCommand("bats"), "bats is not installed: apt-get install bats");
  const project = createTempProject("bats", {
    "a.bats": [
      '@test "addition works" {',
      "  [ $((1+1)) -eq 2 ]",
      "}",
      '@test "subtraction fails" {',
      "  [ $((3-1)) -eq 1 ]",
      "}",
      '@test "skipped one" {',
      '  skip "not now"',
      "}",
      "",
    ].join("\n"),
  });
  try {
    const run = await runTool("bats", ["a.bats"], { cwd: project.dir });
    assert.equal(run.exitCode, 1);
    const feedback = compactRun(run, "bats a.bats", project.dir);
    assert.deepEqual(feedback.passingTests, ["addition works"]);
    assert.equal(feedback.findings[0]?.test, "subtraction fails");
    assert.equal(feedback.findings[0]?.file, "a.bats");
    assert.equal(feedback.findings[0]?.line, 5);
    assert.equal(feedback.summary.skipped, 1);
  } finally {
    project.dispose();
  }
});

for (const verbose of [false, true]) {
  test(`prove${verbose ? " -v" : ""}: ${verbose ? "the TAP lines name" : "its own summary names"} the failing test in its file`, async () => {
    const project = createTempProject("prove", {
      "t/a.t": [
        "use Test::More tests => 3;",
        "ok(1, 'first');",
        "is(1 + 1, 3, 'second');",
        "SKIP: { skip 'why', 1; ok(1, 'third'); }",
        "",
      ].join("\n"),
      "t/b.t": "use Test::More tests => 1;\nok(1, 'only');\n",
    });
    try {
      const run = await runTool("prove", verbose ? ["-v", "t/"] : ["t/"], { cwd: project.dir });
      assert.equal(run.exitCode, 1);
      assert.match(run.output, /^Files=2, Tests=4,/m);
      const feedback = compactRun(run, verbose ? "prove -v t/" : "prove t/", project.dir);
      assert.deepEqual(
        feedback.findings.filter((f) => f.kind === "test-failure").map((f) => f.test),
        [verbose ? "t/a.t > second" : "t/a.t > #2"],
      );
      assert.equal(feedback.summary.failed, 1);
      assert.deepEqual(feedback.passingTests, verbose ? ["t/a.t > first", "t/b.t > only"] : ["t/b.t"]);
    } finally {
      project.dispose();
    }
  });
}
