// What Python source may not do to the tests that judge it: import pytest's internals
// (`_pytest`, `pluggy`), define pytest hooks outside conftest.py, assign to members of pytest or
// unittest, replace builtins or the test modules in sys.modules, or exit at import time. Using
// pytest or unittest the ordinary way (`import pytest`, `pytest.raises`, `from unittest import
// mock`) is not flagged: only changing them is.
import { type LineHit, procHit, type ScannedLine } from "./tamper-lines.ts";

const testModule = /^(?:pytest|_pytest(?:\.\w+)*|unittest(?:\.\w+)*|pluggy(?:\.\w+)*|doctest)$/;
const assignOp = String.raw`\s*(?:[-+*/%&|^@]|\/\/|\*\*|<<|>>)?=(?!=)`;
const memberChain = String.raw`(?:\s*\.\s*\w+|\s*\[[^\]]*\])+`;
const judgingBuiltins =
  /^(?:__\w+__|isinstance|issubclass|compile|exec|eval|getattr|hasattr|AssertionError|BaseException|Exception|SystemExit)$/;
const internals =
  /\bpytest\s*\.\s*(hookimpl|hookspec|Item|Function|Class|Module|Package|Session|Config|TestReport|CollectReport|CallInfo|Collector|PytestPluginManager)\b/;

/** Local names bound to pytest/unittest/pluggy modules or their members, name → module. */
export function pythonTestBindings(context: readonly string[]): Map<string, string> {
  const bound = new Map<string, string>();
  for (const text of context) {
    if (/^\s*#/.test(text)) continue;
    const imported = /^\s*import\s+(.+)$/.exec(text);
    if (imported)
      for (const part of imported[1]!.split(",")) {
        const m = /^\s*([\w.]+)(?:\s+as\s+(\w+))?\s*$/.exec(part);
        if (m && testModule.test(m[1]!)) bound.set(m[2] ?? m[1]!.split(".")[0]!, m[1]!);
      }
    const from = /^\s*from\s+([\w.]+)\s+import\s+\(?([^#)]+)/.exec(text);
    if (from && testModule.test(from[1]!))
      for (const part of from[2]!.split(",")) {
        const m = /^\s*(\w+)(?:\s+as\s+(\w+))?\s*$/.exec(part);
        // unittest.mock is for patching the code under test, not the runner.
        if (m && m[1] !== "mock") bound.set(m[2] ?? m[1]!, `${from[1]}.${m[1]}`);
      }
  }
  return bound;
}

export function scanPythonLines(
  lines: readonly ScannedLine[],
  context: readonly string[],
  path: string,
): LineHit[] {
  const bound = pythonTestBindings(context);
  const isMain = /(^|\/)__main__\.py$/.test(path);
  const exitHooks = atexitExits(lines);
  const hits: LineHit[] = [];
  for (const line of lines) {
    if (!line.added || /^\s*#/.test(line.text)) continue;
    const touches =
      pythonLineTouches(line.text, bound, isMain) ??
      interpreterTouches(line.text) ??
      (exitHooks.has(line) ? "exits from an atexit hook, replacing the runner's exit status" : undefined);
    if (touches) hits.push({ line, touches });
    else {
      const proc = procHit(line);
      if (proc) hits.push(proc);
    }
  }
  return hits;
}

/**
 * The exit calls inside functions registered with atexit (`@atexit.register` above the def, or
 * `atexit.register(name)` anywhere in sight): at interpreter exit they replace pytest's status.
 */
function atexitExits(lines: readonly ScannedLine[]): Set<ScannedLine> {
  const found = new Set<ScannedLine>();
  if (!lines.some((line) => /\batexit\b/.test(line.text))) return found;
  const registered = new Set<string>();
  for (const line of lines)
    for (const m of line.text.matchAll(/\batexit\s*\.\s*register\s*\(\s*(\w+)\s*[,)]/g))
      registered.add(m[1]!);
  let decorated = false;
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i]!.text;
    if (/^\s*@\s*atexit\s*\.\s*register\b/.test(text)) {
      decorated = true;
      continue;
    }
    const def = /^(\s*)(?:async\s+)?def\s+(\w+)/.exec(text);
    if (!def) {
      if (!/^\s*@/.test(text)) decorated = false;
      continue;
    }
    const hooked = decorated || registered.has(def[2]!);
    decorated = false;
    if (!hooked) continue;
    for (let j = i + 1; j < lines.length; j++) {
      const body = lines[j]!.text;
      if (body.trim() !== "" && /^(\s*)/.exec(body)![1]!.length <= def[1]!.length) break;
      if (/\b(?:os\s*\.\s*_exit|sys\s*\.\s*exit|os\s*\.\s*kill)\s*\(/.test(body) && lines[j]!.added)
        found.add(lines[j]!);
    }
  }
  return found;
}

/** What one added line does to the test machinery, or undefined when it does nothing of the kind. */
export function pythonLineTouches(
  text: string,
  bound: ReadonlyMap<string, string>,
  isMain = false,
): string | undefined {
  const imported = /^\s*(?:import|from)\s+(_pytest|pluggy)\b/.exec(text);
  if (imported) return `imports pytest's internals (${imported[1]})`;
  // As a call's argument (importlib.import_module("_pytest.reports"), sys.modules["_pytest…"]), not
  // a name in a table (jedi's `('_pytest', 'capture')`) or a comparison.
  if (/(?:[\w\]]\s*\(\s*|\bsys\s*\.\s*modules\s*\[\s*)["'](?:_pytest|pluggy)\b/.test(text))
    return "loads pytest's internals (_pytest) by name";
  if (/^\s*(?:import\s+unittest\.result\b|from\s+unittest(?:\.result)?\s+import\s+.*\bresult\b)/.test(text))
    return "imports unittest's result machinery (unittest.result)";
  // A hook is a module-level function; `def pytest_param(self)` in a class is a method.
  const hook = /^(?:async\s+)?def\s+(pytest_\w+)\s*\((?!\s*self\b)/.exec(text);
  if (hook) return `defines the pytest hook ${hook[1]} outside conftest.py`;
  const internal = internals.exec(text);
  if (internal) return `reaches into pytest's internals (pytest.${internal[1]})`;
  if (/\bhookwrapper\s*=/.test(text)) return "wraps pytest hooks (hookwrapper)";
  for (const [name, module] of bound) {
    // An assignment statement (or a chained one), not an annotation's default (`x: unittest.X = …`).
    const target = String.raw`(?:^|;)\s*(?:[\w.]+\s*=\s*)*${name}`;
    if (new RegExp(`${target}${memberChain}${assignOp}`).test(text)) return `overwrites ${module}'s members`;
    if (new RegExp(String.raw`\b(?:setattr|delattr|patch\s*\.\s*object)\s*\(\s*${name}\b`).test(text))
      return `overwrites ${module}'s members`;
    if (new RegExp(String.raw`\bvars\s*\(\s*${name}\b[^)]*\)\s*\[`).test(text) && /=(?!=)/.test(text))
      return `overwrites ${module}'s members`;
  }
  // Patches named by string: mock.patch("unittest.TestCase.run"), monkeypatch.setattr("_pytest…", …).
  const named =
    /\b(?:setattr|delattr|patch)\s*\(\s*["'](unittest|pytest|doctest|builtins\.__import__)\b/.exec(text);
  if (named) return `patches ${named[1]} by name`;
  if (/\bpatch\s*\.\s*dict\s*\(\s*sys\s*\.\s*modules\b[^)]*["'](?:pytest|unittest)\b/.test(text))
    return "replaces test modules in sys.modules";
  const exitHook = /\b(sys\s*\.\s*exit|os\s*\.\s*_exit)\s*=(?!=)/.exec(text);
  if (exitHook) return `replaces ${exitHook[1]!.replace(/\s/g, "")}`;
  // The builtins the test machinery leans on; the REPL's `builtins._`, site's `exit`/`help` are not.
  const builtin = new RegExp(
    String.raw`(?:^|;)\s*(?:[\w.]+\s*=\s*)*(?:builtins|__builtins__)\s*(?:\.\s*(\w+)|\[\s*["'](\w+)["']\s*\])${assignOp}`,
  ).exec(text);
  const builtinName = builtin?.[1] ?? builtin?.[2];
  if (builtinName && judgingBuiltins.test(builtinName)) return `replaces builtins.${builtinName}`;
  const builtinSet = /\b(?:setattr|delattr)\s*\(\s*(?:builtins|__builtins__)\s*,\s*(?:["'](\w+)["'])?/.exec(
    text,
  );
  if (builtinSet && (builtinSet[1] === undefined || judgingBuiltins.test(builtinSet[1])))
    return `replaces builtins.${builtinSet[1] ?? "[…]"}`;
  const modules =
    /\bsys\s*\.\s*modules\s*(?:\[\s*["']([\w.]+)["']\s*\]\s*=(?!=)|\.\s*(?:setdefault|update)\s*\([^)]*["']([\w.]+)["'])/.exec(
      text,
    );
  const replaced = modules?.[1] ?? modules?.[2];
  if (replaced && testModule.test(replaced)) return `replaces sys.modules["${replaced}"]`;
  // Exiting with success while being imported ends the runner mid-collection, green; under
  // `if __name__` (indented) it is a script, and a script's `sys.exit(main())` is its own status.
  const exit = /^(sys\s*\.\s*exit|os\s*\.\s*_exit|exit|quit)\s*\(\s*(?:0|None|False)?\s*\)/.exec(text);
  if (exit && !isMain) return `exits at import time (${exit[1]!.replace(/\s/g, "")} at module top level)`;
  if (/\batexit\b/.test(text) && /\b_exit\b|\bsys\s*\.\s*exit\b/.test(text))
    return "registers an exit hook that replaces the runner's exit status";
  return undefined;
}

const ownModuleName = /^\s*(?:__name__|__spec__\s*\.\s*name|__package__)\b/;
const testLikeName = /^(?:tests?|test_\w*|\w*_test|conftest)$/;
/** A module a test runner collected, by its name's parts (`test_calc`, `tests.test_calc`). */
const testModuleName = /^(?:test_\w*|\w*_test|conftest)$/;

function literalKey(key: string): string | undefined {
  return /^\s*["']([\w.]+)["']\s*$/.exec(key)?.[1];
}

/**
 * Whether writing this sys.modules key may replace a test module. A computed key may (the six
 * and lazy-import pattern `sys.modules[fullname] = mod` is flagged too: a patch to code under
 * test has little call for it), except the file's own name (`__name__`, `__name__ + ".moves"`);
 * a literal only when it names a test module (`"test_calc"`), not `"__main__"` or `"calc.fast"`.
 */
function mayReplaceTest(key: string): boolean {
  if (ownModuleName.test(key)) return false;
  const literal = literalKey(key);
  return literal === undefined || literal.split(".").some((part) => testLikeName.test(part));
}

/** Whether a literal key names a test module (reading or deleting another module is no cheat). */
function namesTest(key: string): boolean {
  return (
    literalKey(key)
      ?.split(".")
      .some((part) => testModuleName.test(part)) ?? false
  );
}

/**
 * What reaches the interpreter's state that pytest and unittest run on: the module table (a test
 * module swapped for one whose tests all pass), the bytecode cache (pytest trusts a forged
 * assertion-rewritten .pyc under sys.pycache_prefix), the tracing hooks (a line hook rewrites
 * pytest's locals mid-call), and frames' locals written from outside.
 */
export function interpreterTouches(text: string): string | undefined {
  const key = /\bsys\s*\.\s*modules\s*\[([^\]]*)\]\s*=(?!=)/.exec(text);
  if (key && mayReplaceTest(key[1]!)) return "replaces a module in sys.modules (the test modules live there)";
  const call =
    /\bsys\s*\.\s*modules\s*\.\s*(update|setdefault|__setitem__|__delitem__|pop|popitem|clear)\s*\(\s*([^,)]*)/.exec(
      text,
    );
  const removes = call?.[1] === "pop" || call?.[1] === "__delitem__";
  if (call && (removes ? namesTest(call[2]!) : call[1] !== "setdefault" || mayReplaceTest(call[2]!)))
    return `changes sys.modules (sys.modules.${call[1]}), where the test modules live`;
  // Reading a test module out of the table is the first step of rewriting it (its test functions).
  const reached = /\bsys\s*\.\s*modules\s*(?:\[|\.\s*get\s*\()([^\],)]*)/.exec(text);
  if (reached && namesTest(reached[1]!))
    return `reaches the test module ${literalKey(reached[1]!)} through sys.modules`;
  const removed = /\bdel\s+sys\s*\.\s*modules\s*\[([^\]]*)\]/.exec(text);
  if (removed && namesTest(removed[1]!)) return "removes a test module from sys.modules";
  // An import hook serves other code (or bytecode) for any module, the test modules included.
  const hooked =
    /\bsys\s*\.\s*(meta_path|path_hooks)\s*(?:\.\s*(?:insert|append|extend)\s*\(|\[[^\]]*\]\s*=(?!=)|[+]?=(?!=))/.exec(
      text,
    );
  if (hooked) return `installs an import hook (sys.${hooked[1]}), which decides what a test module's code is`;
  const setSys =
    /\bsetattr\s*\(\s*sys\s*,\s*["'](modules|meta_path|path_hooks|pycache_prefix|settrace|setprofile)["']/.exec(
      text,
    );
  if (setSys) return `replaces sys.${setSys[1]}, which the test machinery runs on`;
  if (/\bsys\s*\.\s*pycache_prefix\s*=(?!=)/.test(text))
    return "moves the bytecode cache (sys.pycache_prefix), where pytest loads its compiled tests from";
  // The importer's magic number put into bytes (not compared against: pkgutil, pydoc check it).
  if (
    (/\bMAGIC_NUMBER\b/.test(text) &&
      !/(?:[!=]=|\bin\b)\s*(?:importlib\s*\.\s*)?(?:util\s*\.\s*)?MAGIC_NUMBER\b/.test(text)) ||
    /\b_code_to_(?:timestamp|hash)_pyc\b|\\r\\r\\n|\\x0d\\x0d\\x0a/i.test(text)
  )
    return "writes Python bytecode by hand (a .pyc header), which the importer runs in place of source";
  const compiler = /\b(py_compile|compileall)\s*\.\s*\w+\s*\(/.exec(text);
  if (compiler) return `compiles bytecode from code under test (${compiler[1]})`;
  // marshal of data (profile stats) is honest; of freshly compiled code it is a .pyc's body.
  if (/\bmarshal\s*\.\s*dumps?\s*\(/.test(text) && /\bcompile\s*\(|\.pyc\b|__code__/.test(text))
    return "serialises compiled code (marshal.dump of compile(…)), the body of a forged .pyc";
  // Installing a hook, not clearing one (`sys.settrace(None)`); sys.monitoring by its setters.
  const tracer =
    /\b(sys\s*\.\s*(?:settrace|setprofile)|threading\s*\.\s*(?:settrace|setprofile)(?:_all_threads)?)\s*\(\s*(?!None\s*\)|\))|\b(sys\s*\.\s*monitoring)\s*\.\s*(?:use_tool_id|register_callback|set_events|set_local_events)\s*\(|^\s*from\s+sys\s+import\s+.*\b(settrace|setprofile|monitoring)\b/.exec(
      text,
    );
  const hook =
    (tracer?.[1] ?? tracer?.[2])?.replace(/\s/g, "") ?? (tracer?.[3] ? `sys.${tracer[3]}` : undefined);
  if (hook) return `installs an interpreter hook (${hook}) that sees and changes the runner's frames`;
  if (
    /(?<!\b(?:cr|gi|ag)_frame\s*)\.\s*f_locals\s*(?:\[[^\]]*\]\s*=(?!=)|\.\s*(?:update|setdefault|__setitem__|pop|clear)\s*\()/.test(
      text,
    )
  )
    return "writes another frame's locals (frame.f_locals)";
  if (
    /\b(?:f_back|_getframe\s*\([^)]*\))\s*\.\s*f_globals\s*(?:\[[^\]]*\]\s*=(?!=)|\.\s*(?:update|setdefault|__setitem__|pop)\s*\()/.test(
      text,
    )
  )
    return "writes a caller's globals (f_back.f_globals)";
  if (/\.\s*(f_trace|f_lineno|f_trace_lines)\s*=(?!=)|\bPyFrame_LocalsToFast\b/.test(text))
    return "rewrites a running frame (f_trace, f_lineno, PyFrame_LocalsToFast)";
  return undefined;
}
