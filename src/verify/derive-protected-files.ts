// The files that decide how the verifier runs are the user's, by construction: this derives
// them from the project and the verifier commands. Three parts:
//   1. names that decide how any runner, compiler or package manager behaves, at any depth,
//      whether or not they exist yet (a patch that creates a `.npmrc` or a `conftest.py` is
//      as much a cheat as one that edits it);
//   2. files the verifier names: the script it runs (`sh scripts/test.sh`, `node test/run.js`),
//      preloads (`--require`, `--import`), configs (`-p`, `--config`), test files given to a
//      runner, and the same inside every package.json script the command reaches;
//   3. files the configs reach: tsconfig `extends`/`references`, setup files and reporters a
//      jest/vitest/mocha/ava config names, relative imports of a JS config.
// Over-protecting costs the model a clear refusal; under-protecting costs the verdict.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, normalize, relative, sep } from "node:path";
import { normalizeGlob } from "./match-glob.ts";
import { alwaysProtected } from "./protected-names.ts";
import type { Protection } from "./protection.ts";
import type { VerifierSpec } from "./types.ts";

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
  return [...new Set(globs)];
}

// Programs whose first operand is the script that runs the checks.
const interpreters = new Set([
  "node",
  "python",
  "python3",
  "sh",
  "bash",
  "zsh",
  "dash",
  "tsx",
  "ts-node",
  "bun",
  "deno",
  "perl",
  "ruby",
]);
// Runners whose operands are test files (protected: they are the tests the verdict reads).
const testRunners = new Set([
  "jest",
  "vitest",
  "mocha",
  "ava",
  "tap",
  "tape",
  "pytest",
  "py.test",
  "bats",
  "prove",
]);
// Flags whose value is a file that runs before or configures the checks.
const fileFlags = new Set([
  "-r",
  "--require",
  "--import",
  "--loader",
  "--experimental-loader",
  "--env-file",
  "-c",
  "--config",
  "-p",
  "--project",
  "--rcfile",
  "--setupFiles",
  "--setup-files",
  "--globalSetup",
  "-f",
  "--file",
  "--makefile",
  "--justfile",
  "--manifest-path",
  "--modfile",
  "--test-reporter",
  "--reporter",
]);
// package.json keys a runner reads its configuration from.
const packageRunnerKeys = ["jest", "mocha", "ava", "c8", "nyc", "tap", "vitest", "babel"];
// Keys of runner configs whose values are files run before or around the tests.
const setupKeys =
  /\b(setupFiles|setupFilesAfterEnv|globalSetup|globalTeardown|testEnvironment|snapshotResolver|testSequencer|testRunner|resolver|reporters?|require|import|loader|node-option|file|spec|setup|extends|preset|transform)\b/;

class ProtectedFileFinder {
  readonly files = new Set<string>();
  private readonly seenScripts = new Set<string>();

  constructor(private readonly workspace: string) {}

  /** Workspace-relative path of an existing regular file, or undefined. */
  private fileAt(from: string, raw: string): string | undefined {
    const cleaned = raw.replace(/^<rootDir>\//, `${this.workspace}/`).replace(/^file:\/\//, "");
    if (!cleaned || cleaned.includes("*") || cleaned.includes("$")) return undefined;
    const full = isAbsolute(cleaned) ? normalize(cleaned) : join(from, cleaned);
    for (const candidate of [full, ...[".js", ".cjs", ".mjs", ".ts", ".json"].map((ext) => full + ext)]) {
      const rel = relative(this.workspace, candidate);
      if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return undefined;
      try {
        if (statSync(candidate).isFile()) return rel.split(sep).join("/");
      } catch {}
    }
    return undefined;
  }

  private add(from: string, raw: string): string | undefined {
    const rel = this.fileAt(from, raw);
    if (rel) this.files.add(rel);
    return rel;
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
      let operandSeen = false;
      for (let j = 0; j < args.length; j++) {
        const arg = args[j]!;
        const eq = arg.indexOf("=");
        if (arg.startsWith("-") && eq > 0 && fileFlags.has(arg.slice(0, eq)))
          this.add(cwd, arg.slice(eq + 1));
        else if (fileFlags.has(arg) && args[j + 1] !== undefined) this.add(cwd, args[++j]!);
        else if (arg.startsWith("-")) continue;
        else if (interpreters.has(name) && !operandSeen) {
          operandSeen = true;
          const script = this.add(cwd, arg);
          // A shell script's own commands can name more files.
          if (script && /^(sh|bash|zsh|dash)$/.test(name) && !this.seenScripts.has(script)) {
            this.seenScripts.add(script);
            const text = readText(join(this.workspace, script));
            if (text !== undefined) this.fromCommand(text, cwd, depth + 1);
          }
        } else if (testRunners.has(name) || (name === "node" && args.includes("--test"))) this.add(cwd, arg);
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
    const names = ["jest", "vitest", "vite", "ava", "playwright", "karma", "babel"].flatMap((base) =>
      ["js", "cjs", "mjs", "ts", "mts", "cts", "json"].map((ext) => `${base}.config.${ext}`),
    );
    names.push(
      ".mocharc",
      ".mocharc.json",
      ".mocharc.jsonc",
      ".mocharc.js",
      ".mocharc.cjs",
      ".mocharc.yml",
      ".mocharc.yaml",
      ".taprc",
      ".c8rc",
      ".c8rc.json",
      ".nycrc",
      ".nycrc.json",
      ".babelrc",
      ".babelrc.json",
      "karma.conf.js",
    );
    return names.map((name) => join(this.workspace, name)).filter((path) => existsSync(path));
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

/** A command line as simple commands of words (quotes removed; `&&`, `||`, `;`, `|` split). */
export function splitCommands(command: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = "";
  let quote: string | undefined;
  let inWord = false;
  const end = () => {
    if (inWord) words.push(word);
    word = "";
    inWord = false;
  };
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote) {
      if (ch === quote) quote = undefined;
      else word += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) end();
    else if (";&|()\n".includes(ch)) {
      end();
      if (words.length > 0) commands.push(words);
      words = [];
    } else {
      word += ch;
      inWord = true;
    }
  }
  end();
  if (words.length > 0) commands.push(words);
  return commands;
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
    ...spec.hidden,
    ...(spec.browserChecks ?? []).map((check) => check.serve),
  ];
  return {
    protect: deriveProtectedFiles({ workspace, commands, protect: spec.protect }),
    allowEdit: spec.allowEdit ?? [],
  };
}
