// Test helpers: the files a protected test (or script, setup file, conftest.py) imports that
// are part of the test rather than of the code under test. An `eq()` wrapper made a no-op
// passes every test that uses it, so those files are protected as the tests are.
//
// The rule for "not the code under test": a file reached by imports, transitively, from a
// protected file is a helper when
//   1. it looks like test support: a folder on its path is a test folder (test, tests,
//      __tests__, spec, specs, testing, __mocks__, fixtures, __fixtures__), or a word of its
//      name says so (test(s), helper(s), fixture(s), mock(s), conftest, testutil(s)) and it sits
//      beside or below a test file that imports it (`src/cart.spec.ts` → `src/mocks.ts`), and
//      is not that test's subject (`helpers.test.js` tests `helpers.js`);
//   2. no file outside the test side imports it, and package.json does not name it as an
//      entry point (`main`, `exports`, `bin`): the product's own code is code under test,
//      whatever its name or folder.
// Everything else the tests import (`../src/cart.js`, `from calc import mul`) stays the
// model's to fix. Imports are read from the user's tree, so a patch cannot move the line.
// Python's package `__init__.py` files run before the module they contain, so they count as
// imports of it; test data beside the tests (fixtures, snapshots) is protected as a folder.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, posix } from "node:path";

const skippedDirs = new Set(["node_modules", ".git", ".venv", "venv", "__pycache__", ".hg", ".svn"]);
const codeFile = /\.(?:[cm]?[jt]sx?|py)$/;
const testFolders = new Set([
  "test",
  "tests",
  "__tests__",
  "spec",
  "specs",
  "testing",
  "__mocks__",
  "fixtures",
  "__fixtures__",
]);
const testWords =
  /(?:^|[._-])(?:tests?|specs?|helpers?|fixtures?|mocks?|conftest|testutils?|testing)(?:[._-]|$)/i;
const maxFiles = 20_000;
const maxBytes = 512 * 1024;

/** Workspace-relative paths (forward slashes) of the files under the workspace, bounded. */
export function listWorkspaceFiles(workspace: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(join(workspace, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (out.length >= maxFiles) return;
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!skippedDirs.has(entry.name) && !/\.(?:dist|egg)-info$/.test(entry.name)) walk(path);
      } else if (entry.isFile()) out.push(path);
    }
  };
  walk("");
  return out;
}

function inTestFolder(path: string): boolean {
  return path
    .split("/")
    .slice(0, -1)
    .some((part) => testFolders.has(part));
}

function stemOf(path: string): string {
  return posix.basename(path).replace(/\.[^.]+$/, "");
}

export function looksLikeTestSupport(path: string): boolean {
  return inTestFolder(path) || testWords.test(stemOf(path));
}

/** `helpers.test.js`, `helpers_test.py`, `test_helpers.py` → `helpers`: the module the test is about. */
function subjectOf(test: string): string {
  return stemOf(test)
    .replace(/[._-](?:test|spec)s?$/i, "")
    .replace(/^tests?[._-]/i, "");
}

/**
 * Rule 1: `target`, imported by the test-side file `importer`, is test support. A name alone
 * counts only in the importer's folder or one above it (`src/test-utils.tsx` for
 * `src/components/a.test.tsx`), never for the test's own subject or for another tree
 * (`lib/helpers.js` imported by `test/helpers.test.js` is the code under test).
 */
function supportsTest(target: string, importer: string): boolean {
  if (inTestFolder(target)) return true;
  if (!testWords.test(stemOf(target)) || stemOf(target) === subjectOf(importer)) return false;
  const dir = posix.dirname(target);
  const from = posix.dirname(importer);
  return dir === "." || dir === from || from.startsWith(`${dir}/`);
}

/** Files package.json names as the package's entry points: the product, never a helper. */
function packageEntryPoints(workspace: string, known: Set<string>): Set<string> {
  const out = new Set<string>();
  let pkg: Record<string, unknown>;
  try {
    pkg = JSON.parse(readFileSync(join(workspace, "package.json"), "utf8"));
  } catch {
    return out;
  }
  const visit = (value: unknown): void => {
    if (typeof value === "string") {
      const base = posix.normalize(value.replace(/^\.\//, ""));
      const hit = [base, ...jsResolutions.map((ext) => `${base}${ext}`), `${base}/index.js`].find((c) =>
        known.has(c),
      );
      if (hit) out.add(hit);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === "object") Object.values(value).forEach(visit);
  };
  if (pkg && typeof pkg === "object")
    for (const key of ["main", "module", "browser", "types", "typings", "bin", "exports"]) visit(pkg[key]);
  return out;
}

/**
 * The helpers (rule above) reached from the protected files, given every file of the
 * workspace and the protected-set test `isProtected`.
 */
export function findTestHelpers(
  workspace: string,
  files: readonly string[],
  isProtected: (path: string) => boolean,
): string[] {
  const known = new Set(files);
  const importsOf = new Map<string, string[]>();
  const importers = new Map<string, string[]>();
  for (const file of files) {
    if (!codeFile.test(file)) continue;
    const targets = readImports(workspace, file, known);
    importsOf.set(file, targets);
    for (const target of targets) importers.set(target, [...(importers.get(target) ?? []), file]);
  }
  const entryPoints = packageEntryPoints(workspace, known);
  const testSide = (path: string) => isProtected(path) || looksLikeTestSupport(path);
  const helpers = new Set<string>();
  const queue = files.filter((file) => importsOf.has(file) && isProtected(file));
  while (queue.length > 0) {
    const importer = queue.pop()!;
    for (const target of importsOf.get(importer) ?? []) {
      if (helpers.has(target) || isProtected(target) || entryPoints.has(target)) continue;
      if (!supportsTest(target, importer)) continue;
      if ((importers.get(target) ?? []).some((other) => !testSide(other))) continue;
      helpers.add(target);
      queue.push(target);
    }
  }
  return [...helpers].sort();
}

function readImports(workspace: string, file: string, known: Set<string>): string[] {
  let text: string;
  try {
    if (statSync(join(workspace, file)).size > maxBytes) return [];
    text = readFileSync(join(workspace, file), "utf8");
  } catch {
    return [];
  }
  const found = file.endsWith(".py")
    ? [file, ...pythonImports(file, text, known)].flatMap((module) => [
        module,
        ...packageInits(module, known),
      ])
    : jsImports(file, text, known);
  return [...new Set(found)].filter((target) => target !== file);
}

const jsSpecifiers =
  /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*|\brequire\.resolve\s*\(\s*)["'`](\.{1,2}\/[^"'`]+)["'`]/g;
const jsResolutions = ["", ".js", ".cjs", ".mjs", ".ts", ".cts", ".mts", ".jsx", ".tsx", ".json"];

function jsImports(file: string, text: string, known: Set<string>): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(jsSpecifiers)) {
    const base = posix.normalize(posix.join(posix.dirname(file), match[1]!));
    // TypeScript's `./x.js` names `./x.ts`.
    const stems = [base, base.replace(/\.[cm]?js$/, "")];
    const candidates = stems.flatMap((stem) => [
      ...jsResolutions.map((ext) => stem + ext),
      ...jsResolutions.slice(1).map((ext) => `${stem}/index${ext}`),
    ]);
    const hit = candidates.find((candidate) => known.has(candidate));
    if (hit) out.push(hit);
  }
  return out;
}

/** `from .x import y`, `from . import x`, `import a.b`, `from tests.helpers import eq`, `pytest_plugins`. */
function pythonImports(file: string, text: string, known: Set<string>): string[] {
  const dir = posix.dirname(file) === "." ? "" : posix.dirname(file);
  // pytest puts the first folder upward without an __init__.py on sys.path; the rootdir too.
  let basedir = dir;
  while (basedir && known.has(`${basedir}/__init__.py`)) basedir = parentOf(basedir);
  const roots = [...new Set(["", dir, basedir])];
  const modules: { from: string[]; name: string }[] = [];
  for (const match of text.matchAll(/^[ \t]*from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+\(?([\w ,\t*]+)/gm)) {
    const [, dots, name, names] = match;
    let from = roots;
    if (dots) {
      let up = dir;
      for (let i = 1; i < dots.length; i++) up = parentOf(up);
      from = [up];
    }
    modules.push({ from, name: name! });
    for (const imported of names!.split(",").map((n) => n.trim().split(/\s+/)[0]!))
      if (imported && imported !== "*") modules.push({ from, name: name ? `${name}.${imported}` : imported });
  }
  for (const match of text.matchAll(/^[ \t]*import[ \t]+([\w., \t]+)/gm))
    for (const name of match[1]!.split(",").map((n) => n.trim().split(/\s+/)[0]!))
      if (name) modules.push({ from: roots, name });
  const plugins = /^pytest_plugins\s*=\s*([[(]?[^\n\])]*[\])]?)/m.exec(text);
  if (plugins)
    for (const name of plugins[1]!.matchAll(/["']([\w.]+)["']/g))
      modules.push({ from: roots, name: name[1]! });
  const out: string[] = [];
  for (const { from, name } of modules) {
    const path = name.split(".").filter(Boolean).join("/");
    for (const root of from) {
      const stem = root && path ? `${root}/${path}` : root || path;
      const hit = [`${stem}.py`, `${stem}/__init__.py`].find((candidate) => known.has(candidate));
      if (hit) out.push(hit);
    }
  }
  return out;
}

/** The `__init__.py` files Python runs before `module`: those of each package that holds it. */
function packageInits(module: string, known: Set<string>): string[] {
  const out: string[] = [];
  for (let dir = parentOf(module); dir && known.has(`${dir}/__init__.py`); dir = parentOf(dir))
    out.push(`${dir}/__init__.py`);
  return out;
}

function parentOf(dir: string): string {
  const up = dirname(dir);
  return up === "." ? "" : up;
}
