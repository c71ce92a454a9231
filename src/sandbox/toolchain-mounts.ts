// Which host folders a sandbox that hides $HOME must bind back (read-only, at their own
// paths) so that toolchains installed under the home still run: for each toolchain, its
// bin folder and the install it belongs to, named part by part; for any other PATH entry
// under the home, that entry and at most its install prefix. Never the home itself and
// never a top-level folder of it wholesale: ~/.local holds keyrings, ~/.cargo a registry
// token, GOPATH=$HOME is the whole home with ~/.ssh in it. Every mount carries the reason
// it was made, which the sandbox reports in `info.toolchainMounts`.
import { existsSync, realpathSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, normalize, relative, sep } from "node:path";
import type { ToolchainMount } from "./types.ts";

// The libc realpath: Node's JavaScript one walks each path part in JS (a few ms at a cold
// start for the dozen paths here, every sandbox start).
const realpath = realpathSync.native;

export interface ToolchainSetup {
  /** Root variables set explicitly inside (PYENV_ROOT, CARGO_HOME …), as on the host. */
  env: Record<string, string>;
  mounts: ToolchainMount[];
}

interface Toolchain {
  variable: string;
  defaultRel: string;
  /** The parts of the root a run needs: bin folders, installs, the files that pick a version. */
  parts: string[];
  /** Only relevant when the root is under the host home (GOROOT in /usr/lib/go needs nothing). */
  onlyUnderHome?: boolean;
}

const toolchains: Toolchain[] = [
  // Shims run libexec/pyenv, which reads `version`, runs pyenv.d and plugin hooks, then execs
  // an install from versions/ (a workspace's .python-version may pick any of them).
  {
    variable: "PYENV_ROOT",
    defaultRel: ".pyenv",
    parts: ["bin", "libexec", "shims", "plugins", "pyenv.d", "versions", "version"],
  },
  // ~/.cargo/credentials.toml holds a registry token: bin and the download caches only.
  { variable: "CARGO_HOME", defaultRel: ".cargo", parts: ["bin", "registry", "git"] },
  // The rustup proxies in ~/.cargo/bin read settings.toml and update-hashes/ (and insist on
  // the latter existing), then run a toolchain from toolchains/.
  {
    variable: "RUSTUP_HOME",
    defaultRel: ".rustup",
    parts: ["settings.toml", "toolchains", "update-hashes"],
  },
  { variable: "NVM_DIR", defaultRel: ".nvm", parts: ["versions", "alias"] },
  // GOPATH may be $HOME itself: its binaries and the module cache, nothing else.
  { variable: "GOPATH", defaultRel: "go", parts: ["bin", "pkg/mod"], onlyUnderHome: true },
  {
    variable: "GOROOT",
    defaultRel: ".go",
    parts: ["bin", "pkg", "src", "lib", "misc", "api", "VERSION", "go.env"],
    onlyUnderHome: true,
  },
  { variable: "VOLTA_HOME", defaultRel: ".volta", parts: ["bin", "tools"] },
  { variable: "BUN_INSTALL", defaultRel: ".bun", parts: ["bin", "install/global"] },
  { variable: "DENO_INSTALL", defaultRel: ".deno", parts: ["bin"] },
];

/** An absolute path, normalized, without a trailing slash (but "/" stays "/"). */
function canonical(path: string): string {
  const n = normalize(path);
  return n.length > 1 && n.endsWith(sep) ? n.slice(0, -1) : n;
}

export function isInside(path: string, dir: string): boolean {
  // Absolute paths (all this module compares) by string: path.relative resolves both against
  // the cwd, and it is called for every pair of mounts at every sandbox start.
  if (isAbsolute(path) && isAbsolute(dir)) {
    const [p, d] = [canonical(path), canonical(dir)];
    return p === d || p.startsWith(d === sep ? d : `${d}${sep}`);
  }
  const rel = relative(dir, path);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function kindOf(path: string): ToolchainMount["kind"] | undefined {
  try {
    return statSync(path).isDirectory() ? "dir" : "file";
  } catch {
    return undefined;
  }
}

/**
 * The toolchain roots found through their variables (or default folders under the home)
 * and the PATH entries under the home, turned into exact mounts.
 */
export function findToolchainMounts(
  hostEnv: Record<string, string | undefined>,
  pathEntries: string[],
): ToolchainSetup {
  const hostHome = hostEnv.HOME && isAbsolute(hostEnv.HOME) ? hostEnv.HOME : undefined;
  const env: Record<string, string> = {};
  const mounts: ToolchainMount[] = [];
  const realHome = hostHome && existsSync(hostHome) ? realpath(hostHome) : hostHome;
  const add = (path: string, reason: string) => {
    // The home, or anything that contains it, is never bound whole, whatever asked for it,
    // also not through a symlink (a PATH entry ~/b -> ~).
    if (path === "/" || (hostHome && isInside(hostHome, path))) return;
    let real: string;
    try {
      real = realpath(path);
    } catch {
      return;
    }
    if (real === "/" || (realHome && isInside(realHome, real))) return;
    if (mounts.some((m) => isInside(path, m.path))) return;
    const kind = kindOf(path);
    if (!kind) return;
    for (let i = mounts.length - 1; i >= 0; i--) if (isInside(mounts[i]!.path, path)) mounts.splice(i, 1);
    mounts.push({ path, kind, reason });
  };

  for (const t of toolchains) {
    const fromEnv = hostEnv[t.variable];
    const root = fromEnv || (hostHome ? join(hostHome, t.defaultRel) : undefined);
    if (!root || !isAbsolute(root) || !existsSync(root)) continue;
    if (t.onlyUnderHome && !(hostHome && isInside(root, hostHome))) continue;
    env[t.variable] = root;
    const source = fromEnv ? `${t.variable}=${root}` : `${t.variable} (default ${root})`;
    for (const part of t.parts) add(join(root, part), `${source}: ${part}`);
  }

  if (hostHome) {
    for (const entry of pathEntries) {
      if (!isInside(entry, hostHome) || entry === hostHome) continue;
      if (mounts.some((m) => isInside(entry, m.path))) continue;
      add(entry, `PATH entry ${entry}`);
      // An install prefix (~/tools/node for ~/tools/node/bin) comes along whole, unless it is
      // a top-level folder of the home: for ~/.local/bin that is ~/.local/lib, not ~/.local.
      const prefix = dirname(entry);
      if (basename(entry) !== "bin" || prefix === hostHome) continue;
      if (dirname(prefix) === hostHome) add(join(prefix, "lib"), `libraries of PATH entry ${entry}`);
      else add(prefix, `install prefix of PATH entry ${entry}`);
    }
  }
  return { env, mounts };
}
