// Where a test runner looks for tests when the verifier names no file: its default
// patterns, and for pytest the `testpaths`/`python_files` of its ini. A runner given a folder
// or a glob collects what is under it or matches it; one given nothing collects its default
// locations. Either way those files are the tests the verdict reads, so they are protected —
// as globs, so a test file the patch adds there is protected too.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Runners whose operands are test files, folders or globs, as the finder names them. */
export type TestRunner =
  | "node-test"
  | "jest"
  | "vitest"
  | "mocha"
  | "ava"
  | "tap"
  | "tape"
  | "pytest"
  | "unittest"
  | "bats"
  | "prove"
  | "bun-test"
  | "deno-test"
  | "go-test"
  | "cargo-test";

export const runnerByProgram: Record<string, TestRunner> = {
  jest: "jest",
  vitest: "vitest",
  mocha: "mocha",
  ava: "ava",
  tap: "tap",
  tape: "tape",
  pytest: "pytest",
  "py.test": "pytest",
  bats: "bats",
  prove: "prove",
};

const jsExt = "{js,cjs,mjs,jsx,ts,cts,mts,tsx}";

// Gitignore-style globs (match-glob.ts): no `/` means any depth, a folder protects its contents.
// Node's are its documented `--test` patterns (node_modules aside); jest's testMatch defaults;
// vitest's include default; mocha's ./test; ava's and tap's documented defaults; prove's t/.
const defaults: Record<TestRunner, readonly string[]> = {
  "node-test": [
    `*.test.${jsExt}`,
    `*-test.${jsExt}`,
    `*_test.${jsExt}`,
    `test-*.${jsExt}`,
    `test.${jsExt}`,
    "test",
  ],
  jest: ["__tests__", `*.test.${jsExt}`, `*.spec.${jsExt}`],
  vitest: [`*.test.${jsExt}`, `*.spec.${jsExt}`],
  mocha: ["test/**"],
  ava: [
    "test.js",
    "src/test.js",
    "source/test.js",
    `test-*.${jsExt}`,
    `*.spec.${jsExt}`,
    `*.test.${jsExt}`,
    "test",
    "tests",
    "__tests__",
  ],
  tap: ["test", "tests", "__tests__", `*.test.${jsExt}`, `*.spec.${jsExt}`],
  tape: [],
  pytest: ["test_*.py", "*_test.py"],
  unittest: ["test*.py"],
  bats: [],
  prove: ["t/**"],
  "bun-test": [`*.test.${jsExt}`, `*_test.${jsExt}`, `*.spec.${jsExt}`, `*_spec.${jsExt}`],
  "deno-test": [`*_test.${jsExt}`, `*.test.${jsExt}`, `test.${jsExt}`],
  // go test compiles every _test.go of the packages it tests, whatever the operand (./...).
  "go-test": ["*_test.go", "testdata"],
  // cargo test builds each crate's tests/ folder; tests inside src/ are the source's own.
  "cargo-test": ["tests"],
};

/**
 * Runners whose operands filter their default set rather than replace it: a folder given to
 * them (`jest src`, `go test ./pkg`) is where the defaults are looked for, not a test folder.
 */
export const operandsFilter = new Set<TestRunner>(["jest", "vitest", "bun-test", "go-test", "cargo-test"]);

/** Subcommands that are not test operands. */
export const runnerSubcommands = new Set(["run", "watch", "bench", "related", "dev", "discover"]);

/** The default test locations of a runner, expanded, plus what its own ini adds (pytest). */
export function defaultTestGlobs(runner: TestRunner, workspace: string, hadOperand: boolean): string[] {
  if (hadOperand && !operandsFilter.has(runner)) return [];
  const globs = [...defaults[runner]];
  if (runner === "pytest") globs.push(...pytestIniGlobs(workspace));
  return globs.flatMap(expandBraces);
}

/** `a.{js,ts}` → `a.js`, `a.ts` (one level of braces is all the defaults and users write). */
export function expandBraces(glob: string): string[] {
  const match = /\{([^{}]*)\}/.exec(glob);
  if (!match) return [glob];
  const head = glob.slice(0, match.index);
  const tail = glob.slice(match.index + match[0].length);
  return match[1]!.split(",").flatMap((alt) => expandBraces(`${head}${alt}${tail}`));
}

// pytest reads the first of these that has its section; `testpaths` are folders or globs from
// the rootdir, `python_files` are name patterns at any depth.
const pytestInis: readonly [file: string, section: string][] = [
  ["pytest.ini", "pytest"],
  [".pytest.ini", "pytest"],
  ["pyproject.toml", "tool.pytest.ini_options"],
  ["tox.ini", "pytest"],
  ["setup.cfg", "tool:pytest"],
];

function pytestIniGlobs(workspace: string): string[] {
  for (const [file, section] of pytestInis) {
    let text: string;
    try {
      text = readFileSync(join(workspace, file), "utf8");
    } catch {
      continue;
    }
    const body = iniSection(text, section);
    if (body === undefined) continue;
    return ["testpaths", "python_files"].flatMap((key) => iniValues(body, key));
  }
  return [];
}

function iniSection(text: string, section: string): string | undefined {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.trim() === `[${section}]`);
  if (start === -1) return undefined;
  const end = lines.findIndex((line, i) => i > start && /^\s*\[[^\]]+\]\s*$/.test(line));
  return lines.slice(start + 1, end === -1 ? undefined : end).join("\n");
}

/** `key = a b`, `key =\n  a\n  b` (ini continuation) or `key = ["a", "b"]` (TOML, multi-line too). */
function iniValues(body: string, key: string): string[] {
  const match = new RegExp(`^${key}\\s*=\\s*((?:.*)(?:\\n[ \\t]+.*)*)`, "m").exec(body);
  if (!match) return [];
  let value = match[1]!;
  if (value.trimStart().startsWith("[")) {
    const close = body.indexOf("]", match.index);
    value = body.slice(body.indexOf("[", match.index) + 1, close === -1 ? undefined : close);
  }
  return value
    .split(/[\s,]+/)
    .map((word) => word.replace(/^["']|["']$/g, ""))
    .filter((word) => word !== "" && !word.startsWith("#") && !word.includes("$"));
}
