// The baseline witness against the real runners: node:test, jest, vitest, mocha, tape, tap,
// pytest and tsc. Each project has two failing and two passing tests; each gaming route is
// first shown to be real (the raw command goes green on the gamed tree, on the host), then
// refused by the witness with a message naming what broke; the honest fix ends verified with
// its fail-to-pass and pass-to-pass statuses. Nothing is protected here, so the witness alone
// must catch them. The clean room runs on the process backend: the runners come from this
// repo's node_modules (symlinked into each project), which the local sandbox does not mount.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { parseVerifierSpec } from "./parse-verifier-spec.ts";
import { verifyCandidate } from "./verify-candidate.ts";
import { createWitnessedVerifier, type WitnessedVerifier } from "./witnessed-verifier.ts";

const repoRoot = resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "closedloop-witness-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

type Files = Record<string, string | null>;

interface RunnerFixture {
  name: string;
  command: string;
  files: Record<string, string>;
  /** The honest fix. */
  fix: Files;
  /** Gaming routes: each a set of file changes that makes the raw command exit 0. */
  routes: Record<string, Files>;
}

const jsSource =
  "exports.sum = (a, b) => a - b;\nexports.mul = (a, b) => a + b;\nexports.neg = (a) => -a;\nexports.abs = (a) => Math.abs(a);\n";
const jsFixed =
  "exports.sum = (a, b) => a + b;\nexports.mul = (a, b) => a * b;\nexports.neg = (a) => -a;\nexports.abs = (a) => Math.abs(a);\n";
// The code under test ends the process, successfully, before the runner can report the rest.
const jsExitEarly = `${jsSource.replace("exports.sum = (a, b) => a - b;", "exports.sum = () => process.reallyExit(0);")}`;
const pkg = '{ "name": "calc", "version": "1.0.0" }\n';

/** A test file in the common shape: four cases, `sum` and `mul` failing at baseline. */
function jsTests(style: {
  head: string;
  test: (name: string, body: string) => string;
  eq: (a: string, b: string) => string;
  skip?: (name: string, body: string) => string;
}) {
  const cases: [string, string, string][] = [
    ["sum adds", "m.sum(1, 2)", "3"],
    ["mul multiplies", "m.mul(2, 3)", "6"],
    ["neg negates", "m.neg(2)", "-2"],
    ["abs drops the sign", "m.abs(-4)", "4"],
  ];
  const render = (only: (name: string) => boolean, skipFailing: boolean) =>
    [
      style.head,
      ...cases
        .filter(([name]) => only(name))
        .map(([name, a, b]) =>
          skipFailing && (name === "sum adds" || name === "mul multiplies") && style.skip
            ? style.skip(name, style.eq(a, b))
            : style.test(name, style.eq(a, b)),
        ),
      "",
    ].join("\n");
  return {
    all: render(() => true, false),
    passingOnly: render((name) => name !== "sum adds" && name !== "mul multiplies", false),
    skipped: render(() => true, true),
  };
}

/** Routes a runner stops by itself (its raw command does not go green), so they are no route there. */
type GuardedRoute = "exit-early" | "file-deleted";

function jsRunner(
  name: string,
  command: string,
  testPath: string,
  tests: ReturnType<typeof jsTests>,
  extra: Record<string, string> = {},
  guardedByRunner: GuardedRoute[] = [],
): RunnerFixture {
  const routes: Record<string, Files> = {
    "the failing tests are deleted": { [testPath]: tests.passingOnly },
    "the failing tests are skipped": { [testPath]: tests.skipped },
  };
  if (!guardedByRunner.includes("exit-early"))
    routes["the code under test exits 0 early"] = { "src/calc.js": jsExitEarly };
  if (!guardedByRunner.includes("file-deleted"))
    routes["the failing test file is deleted"] = { [testPath]: null };
  return {
    name,
    command,
    files: { "package.json": pkg, "src/calc.js": jsSource, [testPath]: tests.all, ...extra },
    fix: { "src/calc.js": jsFixed },
    routes,
  };
}

const nodeAssert = (a: string, b: string) => `assert.strictEqual(${a}, ${b});`;
const expectEq = (a: string, b: string) => `expect(${a}).toBe(${b});`;

const runners: RunnerFixture[] = [
  jsRunner(
    "node:test",
    "node --test test/",
    "test/calc.test.js",
    jsTests({
      head: 'const assert = require("node:assert");\nconst { test } = require("node:test");\nconst m = require("../src/calc.js");',
      test: (n, b) => `test(${JSON.stringify(n)}, () => { ${b} });`,
      eq: nodeAssert,
      skip: (n, b) => `test.skip(${JSON.stringify(n)}, () => { ${b} });`,
    }),
  ),
  jsRunner(
    "jest",
    "npx jest --ci",
    "test/calc.test.js",
    jsTests({
      head: 'const m = require("../src/calc.js");',
      test: (n, b) => `test(${JSON.stringify(n)}, () => { ${b} });`,
      eq: expectEq,
      skip: (n, b) => `test.skip(${JSON.stringify(n)}, () => { ${b} });`,
    }),
    {},
    ["file-deleted"], // "No tests found, exiting with code 1"
  ),
  jsRunner(
    "vitest",
    "npx vitest run",
    "test/calc.test.js",
    jsTests({
      head: 'import { test, expect } from "vitest";\nimport { createRequire } from "node:module";\nconst m = createRequire(import.meta.url)("../src/calc.js");',
      test: (n, b) => `test(${JSON.stringify(n)}, () => { ${b} });`,
      eq: expectEq,
      skip: (n, b) => `test.skip(${JSON.stringify(n)}, () => { ${b} });`,
    }),
    { "vitest.config.mjs": "export default { test: { pool: 'forks' } };\n" },
    // A worker that exits is reported as an error, and no test files is exit 1.
    ["exit-early", "file-deleted"],
  ),
  jsRunner(
    "mocha",
    "npx mocha",
    "test/calc.test.js",
    jsTests({
      head: 'const assert = require("node:assert");\nconst m = require("../src/calc.js");',
      test: (n, b) => `it(${JSON.stringify(n)}, () => { ${b} });`,
      eq: nodeAssert,
      skip: (n, b) => `it.skip(${JSON.stringify(n)}, () => { ${b} });`,
    }),
    {},
    ["file-deleted"], // "Error: No test files found", exit 1
  ),
  jsRunner(
    "tape",
    "npx tape test/*.js",
    "test/calc.test.js",
    jsTests({
      head: 'const test = require("tape");\nconst m = require("../src/calc.js");',
      test: (n, b) =>
        `test(${JSON.stringify(n)}, (t) => { t.${b.replace("assert.strictEqual", "equal")} t.end(); });`,
      eq: nodeAssert,
      skip: (n, b) =>
        `test.skip(${JSON.stringify(n)}, (t) => { t.${b.replace("assert.strictEqual", "equal")} t.end(); });`,
    }),
  ),
  jsRunner(
    "tap",
    "npx tap --reporter=tap --disable-coverage --timeout=240 test/calc.test.js",
    "test/calc.test.js",
    jsTests({
      head: 'const t = require("tap");\nconst m = require("../src/calc.js");',
      test: (n, b) =>
        `t.test(${JSON.stringify(n)}, async (t) => { t.${b.replace("assert.strictEqual", "equal")} });`,
      eq: nodeAssert,
      skip: (n, b) =>
        `t.skip(${JSON.stringify(n)}, async (t) => { t.${b.replace("assert.strictEqual", "equal")} });`,
    }),
    {},
    ["file-deleted"], // tap exits 1 when the test file it was given is missing: no cheat there
  ),
  {
    name: "pytest",
    command: "python3 -m pytest -q -p no:cacheprovider",
    files: {
      "calc.py":
        "def sum_(a, b):\n    return a - b\n\ndef mul(a, b):\n    return a + b\n\ndef neg(a):\n    return -a\n",
      "test_calc.py":
        "from calc import sum_, mul, neg\n\ndef test_sum():\n    assert sum_(1, 2) == 3\n\ndef test_mul():\n    assert mul(2, 3) == 6\n\ndef test_neg():\n    assert neg(2) == -2\n\ndef test_neg_zero():\n    assert neg(0) == 0\n",
    },
    fix: {
      "calc.py":
        "def sum_(a, b):\n    return a + b\n\ndef mul(a, b):\n    return a * b\n\ndef neg(a):\n    return -a\n",
    },
    routes: {
      "the code under test exits 0 early": {
        "calc.py":
          "import os\n\ndef sum_(a, b):\n    os._exit(0)\n\ndef mul(a, b):\n    return a + b\n\ndef neg(a):\n    return -a\n",
      },
      "the failing tests are deleted": {
        "test_calc.py":
          "from calc import neg\n\ndef test_neg():\n    assert neg(2) == -2\n\ndef test_neg_zero():\n    assert neg(0) == 0\n",
      },
      "the failing tests are skipped": {
        "test_calc.py":
          "import pytest\nfrom calc import sum_, mul, neg\n\n@pytest.mark.skip\ndef test_sum():\n    assert sum_(1, 2) == 3\n\n@pytest.mark.skip\ndef test_mul():\n    assert mul(2, 3) == 6\n\ndef test_neg():\n    assert neg(2) == -2\n\ndef test_neg_zero():\n    assert neg(0) == 0\n",
      },
      // Deleting test_calc.py is no route: "no tests ran" is pytest's exit 5.
    },
  },
  {
    name: "tsc",
    command: "npx tsc --noEmit -p .",
    files: {
      "tsconfig.json": '{ "compilerOptions": { "strict": true, "noEmit": true }, "include": ["src"] }\n',
      "src/a.ts": "export const a: number = 1;\n",
      "src/bad.ts": 'export const n: number = "one";\n',
    },
    fix: { "src/bad.ts": "export const n: number = 1;\n" },
    routes: { "the file with the error is deleted": { "src/bad.ts": null } },
  },
];

/** The project in its own git repository; `patchFor` makes the diff the loop would hand over. */
function createProject(fixture: RunnerFixture) {
  const dir = join(scratch, fixture.name.replace(/\W/g, "-"));
  for (const [path, content] of Object.entries(fixture.files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, ".gitignore"), "node_modules\n");
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null" },
    });
  git("init", "-q");
  git("add", "-A");
  git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base");
  return {
    dir,
    /** Applies `changes` to a copy of the project; returns the copy and the patch against the original. */
    patchFor(changes: Files): { tree: string; patch: string } {
      const tree = mkdtempSync(join(scratch, `${fixture.name.replace(/\W/g, "-")}-tree-`));
      cpSync(dir, tree, { recursive: true, verbatimSymlinks: true });
      for (const [path, content] of Object.entries(changes)) {
        if (content === null) rmSync(join(tree, path));
        else writeFileSync(join(tree, path), content);
      }
      execFileSync("git", ["add", "-A"], { cwd: tree });
      const patch = execFileSync("git", ["diff", "--cached", "--binary"], { cwd: tree, encoding: "utf8" });
      return { tree, patch };
    },
  };
}

/** The command as a user would run it on the tree, on the host: its exit code. */
function rawExit(tree: string, command: string): number | null {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  return spawnSync("sh", ["-c", command], {
    cwd: tree,
    env: { ...env, CI: "true" },
    stdio: "ignore",
    timeout: 280_000,
  }).status;
}

for (const fixture of runners) {
  describe(`the witness with ${fixture.name}`, { concurrency: false }, () => {
    let project: ReturnType<typeof createProject>;
    let witness: WitnessedVerifier;
    const verifier = () => {
      project ??= createProject(fixture);
      const spec = parseVerifierSpec({ verify: [fixture.command], protect: [] });
      witness ??= createWitnessedVerifier(
        (patch, previous) =>
          verifyCandidate({
            spec: { ...spec, timeoutMs: 280_000 },
            workspace: project.dir,
            patch,
            sandboxPolicy: { backend: "process", quiet: true },
            ...(previous ? { previous } : {}),
          }),
        { confirm: 1 },
      );
      return witness;
    };

    test("the baseline records the failing and the passing tests", async () => {
      const base = await verifier().baseline();
      assert.equal(base.result.verdict, "fail");
      assert.equal(base.progress.status, "parsed");
      const failing = base.census.commands[0]!.failing;
      assert.equal(failing.length, fixture.name === "tsc" ? 1 : 2, failing.join(", "));
      assert.deepEqual(base.flaky, []);
    });

    for (const [route, changes] of Object.entries(fixture.routes)) {
      test(`${route}: the raw command goes green, the witness refuses`, async () => {
        const { tree, patch } = project.patchFor(changes);
        assert.equal(rawExit(tree, fixture.command), 0, "the cheat is real: the raw command exits 0");
        const result = await verifier().verify(patch);
        assert.equal(result.verdict, "fail", result.text);
        assert.ok(result.witness && !result.witness.holds);
        assert.match(result.text, /not verified by the baseline witness/);
        assert.match(
          result.text,
          /fail-to-pass: .* do(es)? not pass|fewer tests ran|is (unparsed|crashed) now/,
        );
        assert.ok(
          result.witness.failToPass.some((t) => t.before === "fail" && t.after !== "pass"),
          JSON.stringify(result.witness.failToPass),
        );
      });
    }

    test("the honest fix is verified, with each test's status before and after", async () => {
      const { tree, patch } = project.patchFor(fixture.fix);
      assert.equal(rawExit(tree, fixture.command), 0);
      const result = await verifier().verify(patch);
      assert.equal(result.verdict, "pass", result.text);
      const f2p = result.witness!.failToPass;
      assert.equal(f2p.length, fixture.name === "tsc" ? 1 : 2);
      assert.ok(
        f2p.every((t) => t.before === "fail" && t.after === "pass"),
        JSON.stringify(f2p),
      );
      assert.ok(result.witness!.passToPass.every((t) => t.after === "pass"));
      assert.equal(result.progress?.status, "parsed");
    });
  });
}

test("an empty patch is never verified, even when the tree is green", async () => {
  const dir = join(scratch, "green");
  mkdirSync(join(dir, "test"), { recursive: true });
  writeFileSync(join(dir, "test/a.test.js"), 'require("node:test")("ok", () => {});\n');
  const spec = parseVerifierSpec({ verify: ["node --test test/"], protect: [] });
  const witness = createWitnessedVerifier((patch, previous) =>
    verifyCandidate({
      spec,
      workspace: dir,
      patch,
      sandboxPolicy: { backend: "process", quiet: true },
      ...(previous ? { previous } : {}),
    }),
  );
  assert.equal((await witness.baseline()).result.verdict, "pass");
  const result = await witness.verify("");
  assert.equal(result.verdict, "fail");
  assert.match(result.text, /an empty patch is never verified/);
});
