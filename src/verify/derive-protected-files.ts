// The files that decide how the verifier runs are the user's, by construction: this derives
// them from the project and the verifier commands. Four parts:
//   1. names that decide how any runner, compiler or package manager behaves, at any depth,
//      whether or not they exist yet (a patch that creates a `.npmrc` or a `conftest.py` is
//      as much a cheat as one that edits it);
//   2. files the verifier names: the script it runs (`sh scripts/test.sh`, `node test/run.js`),
//      preloads (`--require`, `--import`), configs (`-p`, `--config`), test files given to a
//      runner, and the same inside every package.json script the command reaches;
//   3. files the configs reach: tsconfig `extends`/`references`, setup files and reporters a
//      jest/vitest/mocha/ava config names, relative imports of a JS config;
//   4. the tests a runner collects: its file, folder and glob operands, or its default
//      locations when it is given none (test-locations.ts), and the test helpers those
//      files import (test-helpers.ts), and the data folders beside them (test-data.ts).
// Over-protecting costs the model a clear refusal; under-protecting costs the verdict.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, normalize, relative, sep } from "node:path";
import {
  fileFlags,
  interpreters,
  packageRunnerKeys,
  runnerConfigNames,
  setupKeys,
  valueFlags,
} from "./command-vocabulary.ts";
import { parseHiddenCheck } from "./hidden-check.ts";
import { isProtectedPath, normalizeGlob } from "./match-glob.ts";
import { alwaysProtected } from "./protected-names.ts";
import type { Protection } from "./protection.ts";
import { splitCommands } from "./split-commands.ts";
import { findTestData } from "./test-data.ts";
import { findTestHelpers, listWorkspaceFiles } from "./test-helpers.ts";
import {
  defaultTestGlobs,
  expandBraces,
  operandsFilter,
  runnerByProgram,
  runnerSubcommands,
  type TestRunner,
} from "./test-locations.ts";
import type { VerifierSpec } from "./types.ts";

export { splitCommands };

export interface DeriveProtectedInput {
  /** The user's tree (the clean room's baseline). */
  workspace: string;
  /** Every verifier command, hidden ones included. */
  commands: readonly string[];
  /** The user's own --protect globs. */
  protect?: readonly string[];
}

/** The protected set as globs (normalised, no duplicates): user's, fixed names, derived files. */
export function deriveProtectedFiles(input: DeriveProtectedInput): string[] {
  const found = new ProtectedFileFinder(input.workspace);
  for (const command of input.commands) found.fromCommand(command, input.workspace, 0);
  for (const name of ["tsconfig.json", "jsconfig.json"]) found.fromTsconfig(join(input.workspace, name), 0);
  found.fromPackageJson(join(input.workspace, "package.json"));
  for (const config of found.runnerConfigs()) found.fromRunnerConfig(config);
  const globs = [...(input.protect ?? []), ...alwaysProtected, ...found.files].map(normalizeGlob);
  const files = listWorkspaceFiles(input.workspace);
  // Asked several times per file (seed, import target, importer): matching is the cost.
  const known = new Map<string, boolean>();
  const isProtected = (path: string): boolean => {
    const seen = known.get(path);
    if (seen !== undefined) return seen;
    const hit = isProtectedPath(globs, path);
    known.set(path, hit);
    return hit;
  };
  const helpers = new Set(findTestHelpers(input.workspace, files, isProtected));
  const data = findTestData(files, (path) => helpers.has(path) || isProtected(path));
  return [...new Set([...globs, ...helpers, ...data])];
}

class ProtectedFileFinder {
  readonly files = new Set<string>();
  private readonly seenScripts = new Set<string>();

  constructor(private readonly workspace: string) {}

  /** Workspace-relative path (forward slashes) of `raw` seen from `from`, if inside the workspace. */
  private relPath(from: string, raw: string): string | undefined {
    const cleaned = raw.replace(/^<rootDir>\//, `${this.workspace}/`).replace(/^file:\/\//, "");
    if (!cleaned || cleaned.includes("$")) return undefined;
    const full = isAbsolute(cleaned) ? normalize(cleaned) : join(from, cleaned);
    const rel = relative(this.workspace, full);
    if (rel.startsWith("..") || isAbsolute(rel)) return undefined;
    return rel.split(sep).join("/");
  }

  /** Workspace-relative path of an existing regular file, or undefined. */
  private fileAt(from: string, raw: string): string | undefined {
    const rel = this.relPath(from, raw);
    if (!rel || /[*?[{]/.test(rel)) return undefined;
    for (const candidate of [rel, ...[".js", ".cjs", ".mjs", ".ts", ".json"].map((ext) => rel + ext)]) {
      try {
        if (statSync(join(this.workspace, candidate)).isFile()) return candidate;
      } catch {}
    }
    return undefined;
  }

  /** A file, or a glob: what it matches now and any file that will match it. */
  private add(from: string, raw: string): string | undefined {
    const rel = this.relPath(from, raw);
    if (rel && /[*?[{]/.test(rel)) {
      for (const glob of expandBraces(rel)) this.files.add(glob);
      return undefined;
    }
    const file = this.fileAt(from, raw);
    if (file) this.files.add(file);
    return file;
  }

  /** A test runner's operand: a file, a glob, or a folder (everything under it). True if it named one. */
  private addTestOperand(from: string, raw: string, folders = true): boolean {
    const rel = this.relPath(from, raw);
    if (rel === undefined) return false;
    if (/[*?[{]/.test(rel) || this.fileAt(from, raw)) {
      this.add(from, raw);
      return true;
    }
    if (!folders) return false;
    try {
      if (statSync(join(this.workspace, rel)).isDirectory()) {
        // The workspace itself as operand (`pytest .`) means the runner's own patterns there.
        // `/**` anchors it to this folder: a bare `test` would match one at any depth.
        if (rel !== "") this.files.add(`${rel}/**`);
        return rel !== "";
      }
    } catch {}
    return false;
  }

  /** The runner a simple command starts, and its arguments after the runner's own name. */
  private runnerOf(name: string, args: string[]): { runner: TestRunner; args: string[] } | undefined {
    if (runnerByProgram[name]) return { runner: runnerByProgram[name]!, args };
    const sub = { bun: "bun-test", deno: "deno-test", go: "go-test", cargo: "cargo-test" } as const;
    if (name in sub && args[0] === "test")
      return { runner: sub[name as keyof typeof sub], args: args.slice(1) };
    if (/^(node|bun|deno)$/.test(name) && args.includes("--test"))
      return { runner: "node-test", args: args.filter((a) => a !== "--test") };
    if (/^python[\d.]*$/.test(name)) {
      const m = args.indexOf("-m");
      const module = m === -1 ? undefined : args[m + 1];
      if (module === "pytest" || module === "py.test") return { runner: "pytest", args: args.slice(m + 2) };
      if (module === "unittest") return { runner: "unittest", args: args.slice(m + 2) };
    }
    return undefined;
  }

  /** The tests a runner collects: operands that name files, folders or globs, else its defaults. */
  private fromTestRunner(runner: TestRunner, args: string[], cwd: string): void {
    let named = false;
    // go's and cargo's operands are packages and test-name filters, never test files.
    if (runner === "go-test" || runner === "cargo-test") args = [];
    for (let j = 0; j < args.length; j++) {
      const arg = args[j]!;
      if (arg.startsWith("-")) {
        const value = args[j + 1];
        // `-s tests` of `unittest discover` is the folder it collects.
        if (runner === "unittest" && (arg === "-s" || arg === "--start-directory") && value)
          named = this.addTestOperand(cwd, args[++j]!) || named;
        // `pytest -p cheatplug` loads a plugin module from the tree: it is part of the run.
        else if (runner === "pytest" && arg === "-p" && value && !value.startsWith("no:")) {
          const module = args[++j]!.replaceAll(".", "/");
          for (const file of [`${module}.py`, `${module}/__init__.py`]) this.add(cwd, file);
        } else if (value !== undefined && (fileFlags.has(arg) || valueFlags.has(arg))) j++;
        continue;
      }
      if (runnerSubcommands.has(arg) && j === 0) continue;
      // unittest names modules: `tests.test_calc` is tests/test_calc.py.
      const operand =
        runner === "unittest" && /^[\w.]+$/.test(arg) && arg.includes(".")
          ? `${arg.replaceAll(".", "/")}.py`
          : arg.replace(/::.*$/, "");
      named = this.addTestOperand(cwd, operand, !operandsFilter.has(runner)) || named;
    }
    for (const glob of defaultTestGlobs(runner, this.workspace, named)) this.files.add(glob);
  }

  fromCommand(command: string, cwd: string, depth: number): void {
    if (depth > 8) return;
    for (const words of splitCommands(command)) {
      let i = 0;
      // Leading VAR=value assignments, `env`, `npx`, `exec` and friends are not the program.
      while (
        i < words.length &&
        (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!) ||
          ["env", "exec", "npx", "command", "time", "nice"].includes(words[i]!))
      )
        i++;
      const program = words[i];
      if (program === undefined) continue;
      const name = program.split("/").pop()!;
      const args = words.slice(i + 1);
      if (program.includes("/")) this.add(cwd, program);
      if (["npm", "yarn", "pnpm", "bun"].includes(name)) this.fromPackageScript(args, cwd, depth);
      const runner = this.runnerOf(name, args);
      if (runner) this.fromTestRunner(runner.runner, runner.args, cwd);
      let operandSeen = false;
      for (let j = 0; j < args.length; j++) {
        const arg = args[j]!;
        const eq = arg.indexOf("=");
        if (arg.startsWith("-") && eq > 0 && fileFlags.has(arg.slice(0, eq)))
          this.add(cwd, arg.slice(eq + 1));
        else if (fileFlags.has(arg) && args[j + 1] !== undefined) this.add(cwd, args[++j]!);
        else if (arg.startsWith("-")) continue;
        else if (interpreters.has(name) && !operandSeen && !runner) {
          operandSeen = true;
          const script = this.add(cwd, arg);
          // A shell script's own commands can name more files.
          if (script && /^(sh|bash|zsh|dash)$/.test(name) && !this.seenScripts.has(script)) {
            this.seenScripts.add(script);
            const text = readText(join(this.workspace, script));
            if (text !== undefined) this.fromCommand(text, cwd, depth + 1);
          }
        }
      }
      if (["make", "just"].includes(name)) this.fromMakefile(cwd);
    }
  }

  /** `npm test`, `npm run X`, `yarn X`, `pnpm run X`: the script, its pre/post, and what they call. */
  private fromPackageScript(args: string[], cwd: string, depth: number): void {
    const operands = args.filter((a) => !a.startsWith("-"));
    let script = operands[0];
    if (script === "run" || script === "run-script") script = operands[1];
    if (script === "t") script = "test";
    if (script === undefined || script === "install" || script === "ci") return;
    const scripts = readJson(join(cwd, "package.json"))?.scripts as Record<string, unknown> | undefined;
    for (const name of [`pre${script}`, script, `post${script}`]) {
      const body = scripts?.[name];
      if (typeof body !== "string" || this.seenScripts.has(`${cwd}#${name}`)) continue;
      this.seenScripts.add(`${cwd}#${name}`);
      this.fromCommand(body, cwd, depth + 1);
    }
  }

  fromPackageJson(path: string): void {
    const pkg = readJson(path);
    if (!pkg) return;
    for (const key of packageRunnerKeys)
      if (pkg[key] !== undefined) this.fromConfigValue(dirname(path), pkg[key]);
  }

  /** `extends` chains (relative or a package under node_modules) and project references. */
  fromTsconfig(path: string, depth: number): void {
    if (depth > 16 || !existsSync(path)) return;
    const rel = relative(this.workspace, path).split(sep).join("/");
    if (rel.startsWith("..") || (depth > 0 && this.files.has(rel))) return;
    this.files.add(rel);
    const config = readJson(path);
    if (!config) return;
    const extendsList = Array.isArray(config.extends) ? config.extends : [config.extends];
    for (const target of extendsList) {
      if (typeof target !== "string") continue;
      const base =
        target.startsWith(".") || isAbsolute(target)
          ? join(dirname(path), target)
          : join(this.workspace, "node_modules", target);
      this.fromTsconfig(
        base.endsWith(".json")
          ? base
          : existsSync(join(base, "tsconfig.json"))
            ? join(base, "tsconfig.json")
            : `${base}.json`,
        depth + 1,
      );
    }
    for (const ref of Array.isArray(config.references) ? config.references : []) {
      const p = (ref as { path?: unknown }).path;
      if (typeof p !== "string") continue;
      const target = join(dirname(path), p);
      this.fromTsconfig(target.endsWith(".json") ? target : join(target, "tsconfig.json"), depth + 1);
    }
  }

  /** Runner configs that exist at the workspace root, JS or JSON. */
  runnerConfigs(): string[] {
    return runnerConfigNames.map((name) => join(this.workspace, name)).filter((path) => existsSync(path));
  }

  /** Files a config names under a setup-like key, and files a JS config imports. */
  fromRunnerConfig(path: string): void {
    const text = readText(path);
    if (text === undefined) return;
    const from = dirname(path);
    const json = tryJson(text);
    if (json !== undefined) {
      this.fromConfigValue(from, json);
      return;
    }
    // JS/TS/YAML: string values on a line with a setup-like key, and relative imports.
    for (const line of text.split("\n")) {
      const strings = [...line.matchAll(/["'`]([^"'`\s]+)["'`]/g)].map((m) => m[1]!);
      if (setupKeys.test(line)) for (const s of strings) this.add(from, s);
      const bare = /^\s*-?\s*(?:require|spec|file|extends|import)\s*:\s*([^\s#]+)\s*$/.exec(line);
      if (bare) this.add(from, bare[1]!);
    }
    for (const match of text.matchAll(/(?:from\s+|require\(\s*|import\(\s*)["'](\.{1,2}\/[^"']+)["']/g))
      this.add(from, match[1]!);
  }

  private fromConfigValue(from: string, value: unknown, key = ""): void {
    if (typeof value === "string") {
      if (setupKeys.test(key)) this.add(from, value);
      return;
    }
    if (Array.isArray(value)) {
      for (const item of value) this.fromConfigValue(from, item, key);
      return;
    }
    if (value && typeof value === "object")
      for (const [k, v] of Object.entries(value))
        this.fromConfigValue(from, v, setupKeys.test(k) ? k : key && k);
  }

  /** `include`/`-include` lines of the Makefile a `make` call reads. */
  private fromMakefile(cwd: string): void {
    for (const name of ["GNUmakefile", "makefile", "Makefile", "justfile", "Justfile"]) {
      const text = readText(join(cwd, name));
      if (text === undefined) continue;
      for (const match of text.matchAll(/^\s*-?include\s+(.+)$/gm))
        for (const file of match[1]!.trim().split(/\s+/)) this.add(cwd, file);
      for (const match of text.matchAll(/^\t(.+)$/gm)) this.fromCommandOnce(match[1]!, cwd);
    }
  }

  private fromCommandOnce(line: string, cwd: string): void {
    if (this.seenScripts.has(`make:${line}`)) return;
    this.seenScripts.add(`make:${line}`);
    this.fromCommand(line.replace(/^[@-]+/, ""), cwd, 7);
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text.replace(/^\s*\/\/.*$/gm, ""));
  } catch {
    return undefined;
  }
}

function readJson(path: string): Record<string, unknown> | undefined {
  const text = readText(path);
  const value = text === undefined ? undefined : tryJson(text);
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** The protection a verifier spec gives a workspace: derived globs minus the spec's --allow-edit. */
export function deriveProtection(spec: VerifierSpec, workspace: string): Protection {
  const commands = [
    ...spec.commands,
    ...spec.hidden.map((text) => parseHiddenCheck(text).command),
    ...(spec.browserChecks ?? []).map((check) => check.serve),
  ];
  return {
    protect: deriveProtectedFiles({ workspace, commands, protect: spec.protect }),
    allowEdit: spec.allowEdit ?? [],
  };
}
