import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { compactOutput } from "../signals/index.ts";
import { ranNoTests } from "./ran-no-tests.ts";

// The outputs come from the real node:test runner on this machine.
const dir = mkdtempSync(join(tmpdir(), "closedloop-notests-"));
after(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, "test"));
// NODE_TEST_CONTEXT would make the inner runner report to this one instead of printing.
const { NODE_TEST_CONTEXT: _, ...env } = process.env;
const nodeTest = (...args: string[]) =>
  execFileSync(process.execPath, ["--test", ...args], { cwd: dir, env, encoding: "utf8", stdio: "pipe" });

test("node --test finding no test files counts as running no tests", () => {
  for (const reporter of ["tap", "spec"])
    assert.equal(ranNoTests(nodeTest(`--test-reporter=${reporter}`, "test/")), true, reporter);
});

test("node --test that ran passing tests does not count as running no tests", () => {
  writeFileSync(join(dir, "test", "a.test.mjs"), 'import { test } from "node:test";\ntest("x", () => {});\n');
  for (const reporter of ["tap", "spec"])
    assert.equal(ranNoTests(nodeTest(`--test-reporter=${reporter}`, "test/")), false, reporter);
});

test("empty output and compiler output are not taken for an empty test run", () => {
  assert.equal(ranNoTests(""), false);
  assert.equal(ranNoTests("Found 0 errors. Watching for file changes."), false);
  assert.equal(ranNoTests("build ok\n"), false);
});

test("a parsed summary from a test runner with nothing counted is an empty run", () => {
  const summary = { failed: 0, passed: 0, errors: 0, status: "parsed" as const, parsers: ["jest"] };
  assert.equal(ranNoTests("whatever", summary), true);
  assert.equal(ranNoTests("whatever", { ...summary, parsers: ["tsc"] }), false);
  assert.equal(ranNoTests("whatever", { ...summary, passed: 2 }), false);
});

test("mocha's zero-passing line without failures is an empty run", () => {
  assert.equal(ranNoTests("\n\n  0 passing (1ms)\n\n"), true);
  assert.equal(ranNoTests("\n  0 passing (1ms)\n  2 failing\n"), false);
});

test("a passing tape run (TAP 13, `# tests 334`, `# pass  334`) ran tests", () => {
  const lines = ['const test = require("tape");'];
  for (let i = 0; i < 334; i++) lines.push(`test("t${i}", (t) => { t.ok(true); t.end(); });`);
  writeFileSync(join(dir, "tape.test.js"), `${lines.join("\n")}\n`);
  const repoModules = join(import.meta.dirname, "../../node_modules");
  const output = execFileSync(process.execPath, [join(dir, "tape.test.js")], {
    env: { ...env, NODE_PATH: repoModules },
    encoding: "utf8",
  });
  assert.match(output, /^# pass\s+334$/m, "the real tape output");
  const summary = compactOutput(output, { command: "npx tape tape.test.js", exitCode: 0 }).summary;
  assert.equal(summary.passed, 334);
  assert.equal(ranNoTests(output, summary), false);
});
