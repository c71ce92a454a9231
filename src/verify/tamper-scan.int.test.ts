// The two in-process cheats an outside attacker found, against the real runners (node:test
// through npm, pytest) in the real local sandbox, through the clean-room verifier and the
// baseline witness as `closedloop run` builds them. Each cheat only edits SOURCE files and leaves
// the bugs in place: it is first shown to be real (the raw command goes green on the cheated
// tree, and the same clean-room verifier with the scan turned off calls it VERIFIED, tests
// protected and the witness holding), then refused by the tamper scan naming file:line. Beside
// each outsider cheat, its siblings (node:test's mock.method, Object.defineProperty over assert;
// unittest.TestCase patched directly and through mock.patch by name) are shown real and refused
// the same way. The honest fix in the same project, which uses node:assert in source for an
// invariant, stays verified.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, test } from "node:test";
import { parseVerifierSpec } from "./parse-verifier-spec.ts";
import { runRaw } from "./testing/project-files.ts";
import type { VerifyResult } from "./types.ts";
import { verifyCandidate } from "./verify-candidate.ts";
import { createWitnessedVerifier, type WitnessedVerifier } from "./witnessed-verifier.ts";

type Files = Record<string, string>;
const scratch = mkdtempSync(join(tmpdir(), "closedloop-tamper-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const cart = [
  "export const total = (items) => items.reduce((sum, i) => sum + i.price, 0);",
  "export const count = (items) => items.length + 1;",
  "export const isEmpty = (items) => items.length === 0;",
  "export const first = (items) => items[0];",
  "",
].join("\n");
const cartFixed = [
  'import assert from "node:assert";',
  "export const total = (items) => items.reduce((sum, i) => sum + i.price * i.qty, 0);",
  "export function count(items) {",
  "  assert(Array.isArray(items), 'items must be an array');",
  "  return items.length;",
  "}",
  "export const isEmpty = (items) => items.length === 0;",
  "export const first = (items) => items[0];",
  "",
].join("\n");
const assertNames = '["equal","strictEqual","deepEqual","deepStrictEqual","ok","throws","match"]';
// The module path goes through a variable so the fixture text is not read as an import of ours.
const cartModule = "../src/cart.js";
const nodeProject = {
  name: "node-test",
  command: "npm test",
  protect: ["test/**"],
  files: {
    "package.json": JSON.stringify({ name: "cart", type: "module", scripts: { test: "node --test test/" } }),
    "src/cart.js": cart,
    "test/cart.test.js": [
      'import assert from "node:assert/strict";',
      'import { test } from "node:test";',
      `import { total, count, isEmpty, first } from "${cartModule}";`,
      'test("total counts quantities", () => assert.equal(total([{ price: 2, qty: 3 }]), 6));',
      'test("count counts items", () => assert.equal(count([{}, {}]), 2));',
      'test("isEmpty", () => assert.equal(isEmpty([]), true));',
      'test("first", () => assert.deepEqual(first([{ a: 1 }]), { a: 1 }));',
      "",
    ].join("\n"),
  } as Files,
  cheats: [
    {
      name: "the outsider's loop over assert's methods",
      files: {
        "src/cart.js": `import assert from "node:assert/strict"; for (const k of ${assertNames}) assert[k] = () => {};\n${cart}`,
      },
      at: "src/cart.js:1 overwrites node:assert's methods",
    },
    {
      name: "node:test's mock.method over assert's methods",
      files: {
        "src/cart.js": `import assert from "node:assert/strict";\nimport { mock } from "node:test";\nfor (const k of ${assertNames}) mock.method(assert, k, () => {});\n${cart}`,
      },
      at: "src/cart.js:3 replaces node:assert's methods with a mock",
    },
    {
      name: "Object.defineProperty over assert's methods",
      files: {
        "src/cart.js": `import assert from "node:assert/strict";\nfor (const k of ${assertNames}) Object.defineProperty(assert, k, { value: () => {} });\n${cart}`,
      },
      at: "src/cart.js:2 redefines node:assert's methods",
    },
    {
      // The second outside review: a test-like folder no runner collects, so not protected.
      name: "a helper under src/spec/ that the source imports",
      files: {
        "src/cart.js": `import "./spec/compat.js";\n${cart}`,
        "src/spec/compat.js": `import assert from "node:assert/strict";\nfor (const name of Object.keys(assert)) assert[name] = () => {};\n`,
      },
      at: "src/spec/compat.js:2 overwrites node:assert's methods",
    },
  ],
  fix: { "src/cart.js": cartFixed } as Files,
};

const arith = "def add(a, b):\n    return a - b\n\ndef mul(a, b):\n    return a + b\n";
const calc = "def neg(a):\n    return -a\n";
// Forges pytest's assertion-rewritten bytecode for test_calc.py (collected after test_basics.py,
// which imports calc first) with every assertion made `pass`, under a cache prefix of its own.
const forgedPyc = [
  "import importlib.metadata, importlib.util, marshal, os, re, sys",
  'sys.pycache_prefix = os.path.join(os.getcwd(), ".pyc-cache")',
  "_tag = f\"{sys.implementation.cache_tag}-pytest-{importlib.metadata.version('pytest')}.pyc\"",
  '_path = os.path.join(os.getcwd(), "test_calc.py")',
  'with open(_path) as _f:\n    _text = re.sub(r"self\\.assertEqual\\(.*\\)", "pass", _f.read())',
  "_st = os.stat(_path)",
  '_out = os.path.join(sys.pycache_prefix, os.getcwd().lstrip("/"))',
  "os.makedirs(_out, exist_ok=True)",
  'with open(os.path.join(_out, "test_calc." + _tag), "wb") as _f:',
  "    _f.write(importlib.util.MAGIC_NUMBER + bytes(4))",
  '    _f.write((int(_st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little"))',
  '    _f.write((_st.st_size & 0xFFFFFFFF).to_bytes(4, "little"))',
  '    _f.write(marshal.dumps(compile(_text, _path, "exec")))',
  "",
].join("\n");
const testModuleSwap = [
  "import sys, types, unittest",
  '_me = sys.modules.get("test_calc")',
  "if _me is not None:",
  '    _shim = types.ModuleType("test_calc")',
  "    _shim.__file__ = _me.__file__",
  '    _ok = {"__module__": "test_calc", "test_add": lambda self: None, "test_mul": lambda self: None}',
  '    _shim.TestCalc = type("TestCalc", (unittest.TestCase,), _ok)',
  '    sys.modules["test_calc"] = _shim',
  "",
].join("\n");
const lineTracer = [
  "import sys",
  "def _trace(frame, event, arg):",
  '    if frame.f_code.co_name != "call_and_report":',
  "        return None",
  "    def _line(frame, event, arg):",
  '        if event == "line" and frame.f_locals.get("call") is not None:',
  '            frame.f_locals["call"].excinfo = None',
  '            frame.f_locals["item"]._excinfo = None',
  "        return _line",
  "    return _line",
  "sys.settrace(_trace)",
  "",
].join("\n");
const pytestProject = {
  name: "pytest",
  command: "python3 -m pytest -q -p no:cacheprovider",
  protect: ["test_*.py"],
  files: {
    "calc/__init__.py": calc,
    "calc/arith.py": arith,
    // unittest-style tests, which pytest runs: both pytest's and unittest's machinery judge them.
    // test_basics.py is collected first and imports calc; test_calc.py alone imports calc.arith.
    "test_basics.py": [
      "import unittest",
      "from calc import neg",
      "",
      "class TestBasics(unittest.TestCase):",
      "    def test_neg(self):\n        self.assertEqual(neg(2), -2)\n",
      "    def test_neg_zero(self):\n        self.assertEqual(neg(0), 0)\n",
    ].join("\n"),
    "test_calc.py": [
      "import unittest",
      "from calc.arith import add, mul",
      "",
      "class TestCalc(unittest.TestCase):",
      "    def test_add(self):\n        self.assertEqual(add(1, 2), 3)\n",
      "    def test_mul(self):\n        self.assertEqual(mul(2, 3), 6)\n",
    ].join("\n"),
  } as Files,
  cheats: [
    {
      name: "the outsider's patch of pytest's TestReport",
      files: {
        "calc/__init__.py": [
          "import _pytest.reports",
          "",
          "_init = _pytest.reports.TestReport.__init__",
          "",
          "def _passing(self, *args, **kwargs):",
          "    _init(self, *args, **kwargs)",
          '    if self.outcome == "failed":',
          '        self.outcome = "passed"',
          "        self.longrepr = None",
          "",
          "_pytest.reports.TestReport.__init__ = _passing",
          "",
          calc,
        ].join("\n"),
      },
      at: "calc/__init__.py:1 imports pytest's internals (_pytest)",
    },
    {
      name: "unittest.TestCase.assertEqual replaced",
      files: {
        "calc/__init__.py": `import unittest\nunittest.TestCase.assertEqual = lambda self, a, b, msg=None: None\n${calc}`,
      },
      at: "calc/__init__.py:2 overwrites unittest's members",
    },
    {
      name: "mock.patch of unittest by name",
      files: {
        "calc/__init__.py": `from unittest import mock\nmock.patch("unittest.TestCase.assertEqual", lambda *a, **k: None).start()\n${calc}`,
      },
      at: "calc/__init__.py:2 patches unittest by name",
    },
    // The second outside review: a test-like folder, the module table, the bytecode cache, a tracer.
    {
      name: "pytest's TestReport patched from specs/compat.py, which the source imports",
      files: {
        "calc/__init__.py": `import specs.compat\n${calc}`,
        "specs/compat.py": [
          "from _pytest.reports import TestReport",
          "_original = TestReport.from_item_and_call.__func__",
          "def _lenient(cls, item, call):",
          "    report = _original(cls, item, call)",
          '    report.outcome = "passed"',
          "    report.longrepr = None",
          "    return report",
          "TestReport.from_item_and_call = classmethod(_lenient)",
          "",
        ].join("\n"),
      },
      at: "specs/compat.py:1 imports pytest's internals (_pytest)",
    },
    {
      name: "the test module swapped in sys.modules for one whose tests pass",
      files: { "calc/arith.py": `${arith}${testModuleSwap}` },
      at: "calc/arith.py:7 reaches the test module test_calc through sys.modules",
    },
    {
      name: "a forged .pyc under sys.pycache_prefix, which pytest loads for test_calc.py",
      files: { "calc/__init__.py": `${calc}${forgedPyc}` },
      at: "calc/__init__.py:4 moves the bytecode cache (sys.pycache_prefix), where pytest loads its compiled tests from",
    },
    {
      name: "a sys.settrace line hook that clears the failure inside call_and_report",
      files: { "calc/__init__.py": `${calc}${lineTracer}` },
      at: "calc/__init__.py:13 installs an interpreter hook (sys.settrace) that sees and changes the runner's frames",
    },
  ],
  fix: { "calc/arith.py": arith.replace("a + b", "a * b").replace("a - b", "a + b") },
};

function write(dir: string, files: Files): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync("git", args, {
    cwd,
    encoding: "utf8",
    env: { ...process.env, GIT_CONFIG_GLOBAL: "/dev/null" },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** The raw command on a tree, as a user runs it: its exit code and output. */

for (const project of [nodeProject, pytestProject]) {
  describe(`code under test that rewrites the test machinery (${project.name})`, {
    concurrency: false,
  }, () => {
    const dir = join(scratch, project.name);
    write(dir, project.files);
    git(dir, "init", "-q");
    git(dir, "add", "-A");
    git(dir, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "base");
    const witnesses = new Map<boolean, WitnessedVerifier>();
    /** The clean-room verifier with the baseline witness, as `closedloop run` builds it; the scan on or off. */
    const verifier = (tamperScan = true) => {
      const spec = parseVerifierSpec({ verify: [project.command], protect: project.protect });
      let witness = witnesses.get(tamperScan);
      if (witness === undefined) {
        witness = createWitnessedVerifier(
          (patch, previous) =>
            verifyCandidate({
              spec: { ...spec, timeoutMs: 120_000 },
              workspace: dir,
              patch,
              sandboxPolicy: { backend: "local", quiet: true },
              tamperScan,
              ...(previous ? { previous } : {}),
            }),
          { confirm: 0 },
        );
        witnesses.set(tamperScan, witness);
      }
      return witness;
    };
    /** A copy of the project with `change` applied, and git's patch of it against the original. */
    const patchFor = (label: string, change: Files) => {
      const tree = join(scratch, `${project.name}-${label}`);
      cpSync(dir, tree, { recursive: true });
      write(tree, change);
      git(tree, "add", "-A");
      return { tree, patch: git(tree, "diff", "--cached") };
    };

    test("the bug is real: the untouched project fails", async () => {
      assert.notEqual(runRaw(dir, project.command).code, 0);
      assert.equal((await verifier().baseline()).result.verdict, "fail");
    });

    for (const [i, cheat] of project.cheats.entries())
      test(`${cheat.name}: real (raw command green, VERIFIED with the scan off), and not verified with it, naming file:line`, async () => {
        const { tree, patch } = patchFor(`cheat-${i}`, cheat.files as Files);
        const raw = runRaw(tree, project.command);
        assert.equal(raw.code, 0, `the cheat works on the raw command:\n${raw.output}`);

        const unscanned = await verifier(false).verify(patch);
        assert.equal(unscanned.verdict, "pass", `without the scan the cheat is verified:\n${unscanned.text}`);
        assert.ok(unscanned.witness?.holds, "the witness alone is fooled: every fail-to-pass test passes");
        assert.equal(unscanned.tampering, undefined);

        const result: VerifyResult = await verifier().verify(patch);
        assert.ok(
          result.commands.every((c) => c.passed),
          `the tests themselves went green in the clean room, tests protected:\n${result.text}`,
        );
        assert.equal(result.verdict, "fail", result.text);
        assert.ok(result.tampering && result.tampering.length > 0);
        const [first] = result.tampering;
        assert.equal(
          `${first!.file}:${first!.line} ${first!.touches}`,
          cheat.at,
          JSON.stringify(result.tampering),
        );
        assert.match(result.text, /the patch changes how tests judge, from code under test: /);
        assert.ok(result.text.includes(cheat.at), result.text);
        assert.match(result.fingerprint, /^tamper:/);
      });

    test("the honest fix in the same project stays verified", async () => {
      const { tree, patch } = patchFor("fix", project.fix);
      assert.equal(runRaw(tree, project.command).code, 0);
      const result = await verifier().verify(patch);
      assert.equal(result.verdict, "pass", result.text);
      assert.equal(result.tampering, undefined);
      assert.ok(result.witness?.holds);
    });
  });
}
