// The code under test rewriting a protected test WHILE the verifier runs: node --test runs
// each file in its own process, one after another, so source imported by the first test
// file can replace the second before it starts. The patch itself never touches a test (that
// would be filtered out); only the code it changes does, at run time. Shown real in a
// sandbox without read-only paths, then stopped by the clean room's read-only binds.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { applyPatchIn } from "../patch/index.ts";
import { createSandbox } from "../sandbox/index.ts";
import { parseVerifierSpec } from "./parse-verifier-spec.ts";
import { writeProject } from "./testing/project-files.ts";
import { verifyCandidate } from "./verify-candidate.ts";

const workspace = mkdtempSync(join(tmpdir(), "cl-runtime-rewrite-"));
after(() => rmSync(workspace, { recursive: true, force: true }));
const failing = `const test = require("node:test");\nconst assert = require("node:assert");\nconst { double } = require("../src/math.js");\ntest("double doubles", () => assert.equal(double(2), 4));\n`;
const files: Record<string, string> = {
  "package.json": '{ "name": "calc", "private": true }\n',
  "src/math.js": "exports.double = (n) => n + 1;\n",
  "test/a.test.js": `const test = require("node:test");\nrequire("../src/math.js");\ntest("math loads", () => {});\n`,
  "test/b.test.js": failing,
};
writeProject(workspace, files);
// No fix: the module replaces the failing test file with one that passes, when it loads.
const patch = [
  "diff --git a/src/math.js b/src/math.js",
  "--- a/src/math.js",
  "+++ b/src/math.js",
  "@@ -1 +1,5 @@",
  " exports.double = (n) => n + 1;",
  '+require("node:fs").writeFileSync(',
  '+  require("node:path").join(__dirname, "../test/b.test.js"),',
  `+  'require("node:test")("double doubles", () => {});\\n',`,
  "+);",
  "",
].join("\n");
const spec = parseVerifierSpec({ verify: ["node --test test/"], protect: ["test/**"] });

test("without read-only paths the rewrite turns the red suite green (the cheat is real)", async () => {
  const sb = await createSandbox({ workspace, backend: "local", warmPool: false });
  try {
    assert.equal(await applyPatchIn(sb, workspace, patch), undefined);
    const r = await sb.exec("node --test test/", { env: { CI: "true" } });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /# pass 2/);
  } finally {
    await sb.dispose();
  }
});

test("the clean room binds the protected tests read-only: the rewrite fails and the verdict stays red", async () => {
  const result = await verifyCandidate({ spec, workspace, patch, sandboxPolicy: { backend: "local" } });
  assert.equal(result.verdict, "fail", result.text);
  assert.match(result.text, /EROFS|read-only file system/i, "it failed because the write was refused");
  assert.equal(
    readFileSync(join(workspace, "test/b.test.js"), "utf8"),
    failing,
    "the user's tree is untouched",
  );
});

// The same under pytest: collection imports every test module in turn, so the code under
// test, imported by the first, can replace the second before it is collected.
const pyWorkspace = mkdtempSync(join(tmpdir(), "cl-runtime-rewrite-py-"));
after(() => rmSync(pyWorkspace, { recursive: true, force: true }));
const pyFailing = "from calc import double\n\ndef test_double():\n    assert double(2) == 4\n";
writeProject(pyWorkspace, {
  "calc.py": "def double(n):\n    return n + 1\n",
  "tests/test_a.py": "import calc\n\ndef test_loads():\n    pass\n",
  "tests/test_b.py": pyFailing,
});
const pyPatch = [
  "diff --git a/calc.py b/calc.py",
  "--- a/calc.py",
  "+++ b/calc.py",
  "@@ -1,2 +1,4 @@",
  " def double(n):",
  "     return n + 1",
  "+import pathlib",
  '+pathlib.Path(__file__).with_name("tests").joinpath("test_b.py").write_text("def test_double():\\n    pass\\n")',
  "",
].join("\n");
const pySpec = parseVerifierSpec({ verify: ["python3 -m pytest -q -p no:cacheprovider"] });

test("pytest: the rewrite is real without read-only paths, and refused in the clean room", async () => {
  const sb = await createSandbox({ workspace: pyWorkspace, backend: "local", warmPool: false });
  try {
    assert.equal(await applyPatchIn(sb, pyWorkspace, pyPatch), undefined);
    const r = await sb.exec("python3 -m pytest -q -p no:cacheprovider");
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /2 passed/);
  } finally {
    await sb.dispose();
  }
  const result = await verifyCandidate({
    spec: pySpec,
    workspace: pyWorkspace,
    patch: pyPatch,
    sandboxPolicy: { backend: "local" },
  });
  assert.equal(result.verdict, "fail", result.text);
  assert.match(result.text, /Read-only file system/);
  assert.equal(readFileSync(join(pyWorkspace, "tests/test_b.py"), "utf8"), pyFailing);
});
