// The siblings of the outsider's two cheats (other ways to replace assert's methods, module mocks
// of the test framework, the exit status and output redefined, Python's unittest patched by name,
// exit hooks spread over lines), and the honest look-alikes the false-positive sweep over real
// packages turned up (mocha's `self.test`, yargs' `self.describe`, `Object.assign(process.env, …)`,
// signal-exit reading process.reallyExit, messages and regexes that name /proc/<pid>/mem).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { touches } from "./tamper-scan.test-support.ts";

function flags(path: string, cases: [string, string[], RegExp][]): void {
  for (const [name, lines, want] of cases)
    test(`flags ${name}`, () => {
      const found = touches(path, lines);
      assert.ok(found.length >= 1, `${lines.join("\n")}\n→ nothing`);
      assert.match(found[0]!, want);
    });
}

function passes(path: string, cases: [string, string[]][]): void {
  for (const [name, lines] of cases)
    test(`does not flag ${name}`, () => assert.deepEqual(touches(path, lines), [], lines.join("\n")));
}

describe("JavaScript siblings", () => {
  flags("src/cart.js", [
    [
      "node:test's mock.method over assert",
      [
        'import assert from "node:assert";',
        'import { mock } from "node:test";',
        'mock.method(assert, "equal", () => {});',
      ],
      /^3 replaces node:assert's methods with a mock$/,
    ],
    [
      "sinon.stub over assert",
      ['const assert = require("assert");', 'sinon.stub(assert, "ok");'],
      /with a mock/,
    ],
    [
      "mock.module of node:assert",
      ['mock.module("node:assert", { defaultExport: () => {} });'],
      /module node:assert with a mock/,
    ],
    [
      "jest.mock of expect",
      ['jest.mock("expect", () => () => ({ toBe() {} }));'],
      /module expect with a mock/,
    ],
    ["vi.stubGlobal of expect", ['vi.stubGlobal("expect", () => ({}));'], /the test global expect/],
    [
      "AssertionError's prototype patched",
      ['import { AssertionError } from "node:assert";', "AssertionError.prototype.toString = () => '';"],
      /^2 overwrites node:assert's methods/,
    ],
    [
      "AssertionError's prototype swapped",
      [
        'import { AssertionError } from "node:assert";',
        "Object.setPrototypeOf(AssertionError.prototype, Object);",
      ],
      /redefines node:assert's/,
    ],
    [
      "the exit status redefined",
      ['Object.defineProperty(process, "exitCode", { set() {}, get: () => 0 });'],
      /redefines process\.exitCode/,
    ],
    [
      "process.exit redefined by a computed key",
      ["Object.defineProperty(process, key, { value() {} });"],
      /redefines process/,
    ],
    ["Object.assign over process.exit", ["Object.assign(process, { exit() {} });"], /redefines process/],
    [
      "process.stdout.write redefined",
      ['Object.defineProperty(process.stdout, "write", { value: () => true });'],
      /process\.stdout/,
    ],
    ["globalThis.process.exit", ["globalThis.process.exit = () => {};"], /overrides process\.exit/],
    ["process['reallyExit'] called", ['process["reallyExit"](0);'], /reallyExit/],
    [
      "an alias of globalThis",
      ["const g = globalThis;", "g.describe = () => {};"],
      /the test global describe/,
    ],
  ]);
  passes("src/lib.js", [
    ["process.env filled (a test harness)", ["Object.assign(process.env, vars);"]],
    [
      "graceful-fs' chdir polyfill",
      ["if (Object.setPrototypeOf) Object.setPrototypeOf(process.chdir, chdir);"],
    ],
    ["a warning hook", ['Object.defineProperty(process, "emitWarning", { value: emitWarning });']],
    [
      "mocha's and yargs' local self",
      ["const self = this;", "self.test.pending = true;", "self.describe = function describe() {};"],
    ],
    [
      "a DOM lookup that names mocha",
      [
        'var code = document.getElementById("mocha").getElementsByTagName(name);',
        "code[i].innerHTML = highlight(code[i].innerHTML);",
      ],
    ],
    [
      "a call result is not an alias",
      [
        'import { processError } from "@vitest/utils/error";',
        'const error = processError(new Error("x"));',
        "error.stack = '';",
      ],
    ],
    [
      "a usage example in a doc comment",
      [" * const Base = require('mocha').reporters.Base;", "Base.prototype.epilogue = function () {};"],
    ],
    [
      "signal-exit reading process.reallyExit",
      ["const ok = typeof process.reallyExit === 'function';", "const original = process.reallyExit;"],
    ],
    ["a message naming process.reallyExit", ['throw new Error("never call process.reallyExit(0) here");']],
    [
      "a message naming an option",
      ["throw new TypeError(`--expect.poll = $" + "{value} is not an object`);"],
    ],
    ["prose about /proc/N/mem", ['title: "code injected through /proc/N/mem cannot forge output",']],
    ["a regex over /proc paths", ["const memPath = new RegExp(String.raw`/proc/$" + "{pidPart}/mem\\b`);"]],
    ["reading another process's descriptors", ["const path = readlinkSync(`/proc/$" + "{pid}/fd/0`);"]],
    ["mocking the code's own modules from a helper", ['mock.module("./db.js", { namedExports: {} });']],
  ]);
});

describe("Python siblings", () => {
  flags("calc/__init__.py", [
    [
      "an atexit-decorated exit",
      ["import atexit, os", "", "@atexit.register", "def _ok():", "    os._exit(0)"],
      /^5 exits from an atexit hook/,
    ],
    [
      "an exit registered by name",
      ["import atexit, os", "def _ok():", "    os._exit(0)", "atexit.register(_ok)"],
      /^3 exits from an atexit hook/,
    ],
    [
      "mock.patch.object over TestCase",
      [
        "import unittest",
        "from unittest import mock",
        'mock.patch.object(unittest.TestCase, "assertEqual", f).start()',
      ],
      /unittest's members/,
    ],
    [
      "mock.patch by name",
      ['mock.patch("unittest.TestCase.assertEqual", f).start()'],
      /patches unittest by name/,
    ],
    [
      "monkeypatch of pytest by name",
      ['pytest.MonkeyPatch().setattr("pytest.approx", f)'],
      /patches pytest by name/,
    ],
    ["monkeypatch of _pytest by name", ['mp.setattr("_pytest.reports.TestReport.passed", True)'], /_pytest/],
    [
      "builtins.__import__ patched by name",
      ['mock.patch("builtins.__import__", fake).start()'],
      /builtins\.__import__/,
    ],
    ["sys.exit replaced", ["import sys", "sys.exit = lambda *a: None"], /replaces sys\.exit/],
    [
      "test modules swapped through patch.dict",
      ['mock.patch.dict(sys.modules, {"pytest": fake}).start()'],
      /sys\.modules/,
    ],
  ]);
  passes("calc/core.py", [
    [
      "a cleanup registered with atexit",
      ["import atexit", "def _close():", "    db.close()", "atexit.register(_close)"],
    ],
    ["a forked child's exit", ["import os", "def spawn():", "    if os.fork() == 0:", "        os._exit(0)"]],
    [
      "patching the code's own names",
      ['mock.patch("calc.core.fetch", fake)', 'mock.patch("builtins.input", lambda: "y")'],
    ],
    ["a pytest import named in a comment", ["# import _pytest would be a cheat", "x = 1"]],
    [
      "an annotation's default (numpy's stubs)",
      ["def f(align: builtins.bool = False): ...", "    testLoader: unittest.loader.TestLoader = ...,"],
    ],
    [
      "the REPL's underscore and site's helpers",
      ["import builtins", "builtins._ = value", "builtins.help = _Helper()"],
    ],
    [
      "a method named like a hook (scipy)",
      ["class Backend:", "    def pytest_param(self):", "        return 1"],
    ],
    [
      "an IDE's table of pytest modules (jedi)",
      ["_EXTRA = [('_pytest', 'capture'), ('_pytest', 'logging')]", "ok = name == '_pytest.fixtures'"],
    ],
    ["a script's status at top level", ["import sys", "sys.exit(main(sys.argv))"]],
  ]);
});
