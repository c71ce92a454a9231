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

// The outside reviewer's second round: the module table, the bytecode cache, the tracing hooks.
describe("Python's interpreter state", () => {
  flags("calc.py", [
    [
      "a test module swapped in sys.modules (the reviewer's shim)",
      ["import sys", '_me = sys.modules.get("test_calc")', '    sys.modules["test_calc"] = _shim'],
      /^2 reaches the test module test_calc through sys\.modules/,
    ],
    ["the swap itself", ['    sys.modules["test_calc"] = _shim'], /^1 replaces a module in sys\.modules/],
    ["a computed key", ["sys.modules[name] = shim"], /replaces a module in sys\.modules/],
    ["a package's test module read", ['mod = sys.modules["tests.test_calc"]'], /reaches the test module/],
    ["sys.modules.update", ['sys.modules.update({"test_calc": shim})'], /sys\.modules\.update/],
    ["sys.modules.setdefault", ['sys.modules.setdefault("test_calc", shim)'], /sys\.modules\.setdefault/],
    ["sys.modules.__setitem__", ['sys.modules.__setitem__("test_calc", shim)'], /__setitem__/],
    ["a test module removed", ['del sys.modules["tests.test_calc"]'], /test module/],
    ["an import hook", ["sys.meta_path.insert(0, _Finder())"], /import hook \(sys\.meta_path\)/],
    ["a path hook", ["sys.path_hooks.append(_hook)"], /sys\.path_hooks/],
    ["a module popped", ['sys.modules.pop("test_calc", None)'], /sys\.modules\.pop/],
    [
      "the bytecode cache moved (the reviewer's forged .pyc)",
      ["import sys", 'sys.pycache_prefix = "/tmp/pycache"'],
      /^2 moves the bytecode cache \(sys\.pycache_prefix\)/,
    ],
    [
      "the cache moved through setattr",
      ['setattr(sys, "pycache_prefix", "/tmp/p")'],
      /replaces sys\.pycache_prefix/,
    ],
    ["a .pyc header written by hand", ["f.write(importlib.util.MAGIC_NUMBER + bytes(4))"], /\.pyc header/],
    ["the magic number as a bytes literal", ['f.write(b"\\xa7\\r\\r\\n" + bytes(12))'], /\.pyc header/],
    ["marshal.dumps of compiled code", ['f.write(marshal.dumps(compile(text, path, "exec")))'], /marshal/],
    ["py_compile", ['py_compile.compile("tests/test_calc.py", cfile=out)'], /py_compile/],
    ["compileall", ['compileall.compile_dir("tests", force=True)'], /compileall/],
    [
      "sys.settrace (the reviewer's line hook)",
      ["import sys", "sys.settrace(_trace)"],
      /^2 installs an interpreter hook \(sys\.settrace\)/,
    ],
    ["sys.setprofile", ["sys.setprofile(_hook)"], /sys\.setprofile/],
    ["threading.settrace", ["threading.settrace(_trace)"], /threading\.settrace/],
    ["threading.setprofile_all_threads", ["threading.setprofile_all_threads(_p)"], /setprofile_all_threads/],
    ["sys.monitoring", ["sys.monitoring.use_tool_id(3, 'x')"], /sys\.monitoring/],
    ["settrace imported from sys", ["from sys import settrace", "settrace(_trace)"], /^1 .*sys\.settrace/],
    ["a frame's locals written", ['frame.f_locals["call"] = fake'], /f_locals/],
    ["a frame's locals updated", ["sys._getframe(2).f_locals.update(call=fake)"], /f_locals/],
    ["a caller's globals written", ['sys._getframe(1).f_globals["expected"] = 3'], /f_globals/],
    ["a frame's tracer set", ["frame.f_trace = _line"], /rewrites a running frame/],
    [
      "locals forced back into a frame",
      ["ctypes.pythonapi.PyFrame_LocalsToFast(frame, 0)"],
      /PyFrame_LocalsToFast/,
    ],
  ]);
  passes("calc.py", [
    ["a lazy-import shim's own entry", ["sys.modules[__name__] = _LazyModule(__name__, globals())"]],
    ["its own submodule", ['sys.modules[__name__ + ".moves"] = _MovedItems(__name__ + ".moves")']],
    ["its own entry through __spec__", ["sys.modules[__spec__.name] = self"]],
    [
      "a package's own module",
      ['sys.modules["calc.fast"] = fast', 'sys.modules.setdefault("calc.compat", compat)'],
    ],
    ["runpy's and IPython's __main__", ['sys.modules["__main__"] = saved_main']],
    ["a reload's removal", ["del sys.modules[name]", "sys.modules.pop(name, None)"]],
    [
      "a library's test namespace read (hypothesis)",
      ['if isinstance(r, sys.modules["django.test"].TransactionTestCase): pass'],
    ],
    ["reading the import hooks", ["for finder in sys.meta_path:", "    print(finder)"]],
    [
      "reading sys.modules",
      ['if "numpy" in sys.modules:', '    np = sys.modules["numpy"]', "mods = sys.modules.get(name)"],
    ],
    ["comparing a key", ['ok = sys.modules["x"] == mod']],
    ["bytecode writing turned off", ["sys.dont_write_bytecode = True"]],
    [
      "reading a frame",
      ["caller = sys._getframe(1).f_locals.get('self')", "name = frame.f_back.f_code.co_name"],
    ],
    ["reading the trace hook, clearing it", ["tracer = sys.gettrace()", "sys.settrace(None)"]],
    ["a hook named in a docstring", ['"""The func will be passed to sys.settrace() for each thread."""']],
    ["sys.monitoring read", ["return sys.monitoring.get_tool(TOOL_ID)"]],
    ["marshal of data (profile stats)", ["marshal.dump(self.stats, f)"]],
    ["the magic number compared", ["if data[:4] != importlib.util.MAGIC_NUMBER:", "    return None"]],
    ["a coroutine's own frame marked (trio)", ["coro.cr_frame.f_locals[KEY] = enabled"]],
    ["an import hook removed", ["sys.meta_path.remove(hook)"]],
  ]);
});

describe("the JavaScript runtime under the runner", () => {
  flags("src/cart.js", [
    ["the inspector imported", ['import { Session } from "node:inspector";'], /^1 opens the inspector/],
    ["the inspector required", ['const inspector = require("inspector/promises");'], /opens the inspector/],
    [
      "V8's flags changed",
      ['import v8 from "node:v8";', 'v8.setFlagsFromString("--allow-natives-syntax");'],
      /^2 changes V8's flags/,
    ],
    [
      "a test run started from source",
      ['import { run } from "node:test";', 'run({ files: ["x.js"] }).pipe(process.stdout);'],
      /^2 starts a test run of its own/,
    ],
  ]);
  passes("src/cart.js", [
    [
      "a source-map tool's stack formatter",
      ["Error.prepareStackTrace = (error, stack) => format(error, stack);"],
    ],
    [
      "a function of its own named run",
      ["export function run(argv) {", "  return main(argv);", "}", "run(process.argv);"],
    ],
    ["the inspector named in a message", ['throw new Error("do not use node:inspector here");']],
  ]);
});
