// What Python source may not do to the tests that judge it: import pytest's internals
// (`_pytest`, `pluggy`), define pytest hooks outside conftest.py, assign to members of pytest or
// unittest, replace builtins or the test modules in sys.modules, or exit at import time. Using
// pytest or unittest the ordinary way (`import pytest`, `pytest.raises`, `from unittest import
// mock`) is not flagged: only changing them is.
import { type LineHit, procHit, type ScannedLine } from "./tamper-lines.ts";

const testModule = /^(?:pytest|_pytest(?:\.\w+)*|unittest(?:\.\w+)*|pluggy(?:\.\w+)*|doctest)$/;
const assignOp = String.raw`\s*(?:[-+*/%&|^@]|\/\/|\*\*|<<|>>)?=(?!=)`;
const memberChain = String.raw`(?:\s*\.\s*\w+|\s*\[[^\]]*\])+`;
const internals =
  /\bpytest\s*\.\s*(hookimpl|hookspec|Item|Function|Class|Module|Package|Session|Config|TestReport|CollectReport|CallInfo|Collector|PytestPluginManager)\b/;

/** Local names bound to pytest/unittest/pluggy modules or their members, name → module. */
export function pythonTestBindings(context: readonly string[]): Map<string, string> {
  const bound = new Map<string, string>();
  for (const text of context) {
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
  const hits: LineHit[] = [];
  for (const line of lines) {
    if (!line.added || /^\s*#/.test(line.text)) continue;
    const touches = pythonLineTouches(line.text, bound, isMain);
    if (touches) hits.push({ line, touches });
    else {
      const proc = procHit(line);
      if (proc) hits.push(proc);
    }
  }
  return hits;
}

/** What one added line does to the test machinery, or undefined when it does nothing of the kind. */
export function pythonLineTouches(
  text: string,
  bound: ReadonlyMap<string, string>,
  isMain = false,
): string | undefined {
  const imported = /^\s*(?:import|from)\s+(_pytest|pluggy)\b/.exec(text);
  if (imported) return `imports pytest's internals (${imported[1]})`;
  if (/["'](?:_pytest|pluggy)\b/.test(text)) return "loads pytest's internals (_pytest) by name";
  if (/^\s*(?:import\s+unittest\.result\b|from\s+unittest(?:\.result)?\s+import\s+.*\bresult\b)/.test(text))
    return "imports unittest's result machinery (unittest.result)";
  const hook = /^\s*(?:async\s+)?def\s+(pytest_\w+)\s*\(/.exec(text);
  if (hook) return `defines the pytest hook ${hook[1]} outside conftest.py`;
  const internal = internals.exec(text);
  if (internal) return `reaches into pytest's internals (pytest.${internal[1]})`;
  if (/\bhookwrapper\s*=/.test(text)) return "wraps pytest hooks (hookwrapper)";
  for (const [name, module] of bound) {
    const target = String.raw`(?:^|[^\w.])${name}`;
    if (new RegExp(`${target}${memberChain}${assignOp}`).test(text)) return `overwrites ${module}'s members`;
    if (new RegExp(String.raw`\b(?:setattr|delattr)\s*\(\s*${name}\b`).test(text))
      return `overwrites ${module}'s members`;
    if (new RegExp(String.raw`\bvars\s*\(\s*${name}\b[^)]*\)\s*\[`).test(text) && /=(?!=)/.test(text))
      return `overwrites ${module}'s members`;
  }
  const builtin = new RegExp(
    String.raw`\b(?:builtins|__builtins__)\s*(?:\.\s*(\w+)|\[\s*["'](\w+)["']\s*\])${assignOp}`,
  ).exec(text);
  if (builtin) return `replaces builtins.${builtin[1] ?? builtin[2]}`;
  if (/\b(?:setattr|delattr)\s*\(\s*(?:builtins|__builtins__)\b/.test(text)) return "replaces a builtin";
  const modules =
    /\bsys\s*\.\s*modules\s*(?:\[\s*["']([\w.]+)["']\s*\]\s*=(?!=)|\.\s*(?:setdefault|update)\s*\([^)]*["']([\w.]+)["'])/.exec(
      text,
    );
  const replaced = modules?.[1] ?? modules?.[2];
  if (replaced && testModule.test(replaced)) return `replaces sys.modules["${replaced}"]`;
  // Exiting while being imported ends the runner mid-collection; under `if __name__` it is a script.
  const exit = /^(sys\s*\.\s*exit|os\s*\.\s*_exit|os\s*\.\s*abort|exit|quit)\s*\(/.exec(text);
  if (exit && !isMain) return `exits at import time (${exit[1]!.replace(/\s/g, "")} at module top level)`;
  if (/\batexit\b/.test(text) && /\b_exit\b|\bsys\s*\.\s*exit\b/.test(text))
    return "registers an exit hook that replaces the runner's exit status";
  return undefined;
}
