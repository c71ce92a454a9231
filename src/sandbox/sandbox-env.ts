// The environment a sandboxed command sees: an allowlist of harmless host variables, the
// names the policy passes through explicitly, and the policy's own values — nothing else,
// so tokens, keys, agent sockets and cloud credentials never leak in by default.
//
// HOME inside is an empty directory, which breaks toolchains installed under the user's
// home (pyenv, rustup, nvm, …) because they find themselves through $HOME. For each one
// that exists on the host we set its root variable to the host path explicitly and report
// the directory, so a backend that hides the host home can bind it back read-only.

import { existsSync } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import type { SandboxPolicy } from "./types.ts";

export interface SandboxEnvInput {
  policy: Pick<SandboxPolicy, "env" | "setEnv">;
  hostEnv: Record<string, string | undefined>;
  /** HOME inside the sandbox (an empty, writable directory). */
  home: string;
  /** TMPDIR inside the sandbox. */
  tmpdir: string;
}

export interface SandboxEnv {
  env: Record<string, string>;
  /** Host directories (under the host home, mostly) the sandbox needs read-only at the same path. */
  toolchainDirs: string[];
}

const fallbackPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * Host variables that carry no authority: locale, terminal and CI hints. The locale names
 * are listed one by one: an `LC_` prefix would also let `LC_SECRET_TOKEN` through.
 */
const allowedNames = new Set([
  "LANG",
  "LANGUAGE",
  "LC_ALL",
  "LC_CTYPE",
  "LC_NUMERIC",
  "LC_TIME",
  "LC_COLLATE",
  "LC_MONETARY",
  "LC_MESSAGES",
  "LC_PAPER",
  "LC_NAME",
  "LC_ADDRESS",
  "LC_TELEPHONE",
  "LC_MEASUREMENT",
  "LC_IDENTIFICATION",
  "TERM",
  "TZ",
  "COLORTERM",
  "NO_COLOR",
  "FORCE_COLOR",
  "CI",
]);

/**
 * Toolchains that live under the home directory. `dirs` are the parts that must be visible;
 * for cargo that is deliberately not all of ~/.cargo, whose credentials.toml holds a token.
 */
interface Toolchain {
  variable: string;
  defaultRel: string;
  dirs?: (root: string) => string[];
  /** Only relevant when the root is under the host home (GOROOT in /usr/lib/go needs nothing). */
  onlyUnderHome?: boolean;
}

const toolchains: Toolchain[] = [
  { variable: "PYENV_ROOT", defaultRel: ".pyenv" },
  {
    variable: "CARGO_HOME",
    defaultRel: ".cargo",
    dirs: (root) => ["bin", "registry", "git"].map((d) => join(root, d)),
  },
  { variable: "RUSTUP_HOME", defaultRel: ".rustup" },
  { variable: "NVM_DIR", defaultRel: ".nvm" },
  { variable: "GOPATH", defaultRel: "go", onlyUnderHome: true },
  { variable: "GOROOT", defaultRel: ".go", onlyUnderHome: true },
  { variable: "VOLTA_HOME", defaultRel: ".volta" },
  { variable: "BUN_INSTALL", defaultRel: ".bun" },
  { variable: "DENO_INSTALL", defaultRel: ".deno" },
];

export function buildSandboxEnv(input: SandboxEnvInput): SandboxEnv {
  const { policy, hostEnv, home, tmpdir } = input;
  const hostHome = hostEnv.HOME && isAbsolute(hostEnv.HOME) ? hostEnv.HOME : undefined;
  const env: Record<string, string> = {};

  for (const [name, value] of Object.entries(hostEnv)) {
    if (value === undefined) continue;
    if (allowedNames.has(name)) env[name] = value;
  }

  const toolchainDirs: string[] = [];
  const addDir = (dir: string) => {
    if (!toolchainDirs.includes(dir)) toolchainDirs.push(dir);
  };
  for (const t of toolchains) {
    const root = hostEnv[t.variable] || (hostHome ? join(hostHome, t.defaultRel) : undefined);
    if (!root || !isAbsolute(root) || !existsSync(root)) continue;
    if (t.onlyUnderHome && !(hostHome && isInside(root, hostHome))) continue;
    env[t.variable] = root;
    const dirs = t.dirs ? t.dirs(root).filter((d) => existsSync(d)) : [root];
    for (const d of dirs) addDir(d);
  }

  env.PATH = buildPath(hostEnv.PATH, hostHome, toolchainDirs, addDir);
  env.SHELL = "/bin/sh";
  env.USER = "sandbox";
  env.LOGNAME = "sandbox";
  env.HOME = home;
  env.TMPDIR = tmpdir;

  // Explicit grants come last so they win over the allowlist, and setEnv wins over all.
  for (const name of policy.env ?? []) {
    const value = hostEnv[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, policy.setEnv ?? {});
  return { env, toolchainDirs };
}

/**
 * The host PATH without relative entries (a `.` in PATH runs whatever the workspace plants),
 * and with every entry under the host home covered by a toolchain dir — adding the entry's
 * top-level directory under home when nothing covers it yet (~/.local/bin needs ~/.local/lib).
 */
function buildPath(
  hostPath: string | undefined,
  hostHome: string | undefined,
  toolchainDirs: string[],
  addDir: (dir: string) => void,
): string {
  const entries: string[] = [];
  for (const entry of (hostPath || fallbackPath).split(":")) {
    if (!entry || !isAbsolute(entry) || entries.includes(entry)) continue;
    entries.push(entry);
    if (!hostHome || !isInside(entry, hostHome) || entry === hostHome) continue;
    if (toolchainDirs.some((d) => isInside(entry, d))) continue;
    const top = relative(hostHome, entry).split(sep)[0];
    if (top) addDir(join(hostHome, top));
  }
  return entries.join(":");
}

function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}
