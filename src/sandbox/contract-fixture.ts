// Fixtures for the shared Sandbox contract suite: a small workspace made by the real tools
// (git init, symlinks, modes, binary data), a secret directory beside it that the sandbox
// must never reach, a byte-for-byte snapshot of a tree, and a manifest of a tree's view
// (type, executable bit, content hash, link target) computed by the same shell command on
// the host and inside a sandbox, so "the patch reproduces the sandbox's view" is checkable
// for any backend.
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface ContractFixture {
  /** Parent of both directories below; snapshot this to prove nothing was written. */
  base: string;
  /** The user's tree the sandbox runs over. */
  workspace: string;
  /** Host files outside the workspace (a planted secret). */
  outside: string;
  secret: string;
}

export function createContractFixture(): ContractFixture {
  const base = mkdtempSync(join(tmpdir(), "closedloop-contract-"));
  const workspace = join(base, "workspace");
  const outside = join(base, "outside");
  mkdirSync(join(workspace, "src"), { recursive: true });
  mkdirSync(outside);
  const secret = `contract-secret-${randomBytes(6).toString("hex")}`;
  writeFileSync(join(outside, "secret.txt"), `${secret}\n`);

  const w = (rel: string, content: string | Buffer, mode = 0o644) => {
    writeFileSync(join(workspace, rel), content);
    chmodSync(join(workspace, rel), mode);
  };
  w("README.md", "hello\n");
  w("src/main.js", 'console.log("main");\n');
  w("no-newline.txt", "last line without newline");
  w("empty.txt", "");
  w("run.sh", "#!/bin/sh\necho run\n", 0o755);
  w("plain-to-exec.txt", "becomes executable\n");
  w("data.bin", randomBytes(4096));
  w("to-rename.txt", "this file moves, content unchanged\n");
  w("to-delete.txt", "this file goes away\n");
  symlinkSync("README.md", join(workspace, "link-to-readme"));
  symlinkSync("../outside/secret.txt", join(workspace, "escape-link"));
  symlinkSync("../outside", join(workspace, "escape-dir"));
  symlinkSync("../outside/not-yet.txt", join(workspace, "dangling-out"));

  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=contract", "-c", "user.email=contract@example.invalid", ...args], {
      cwd: workspace,
      stdio: "ignore",
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: base, GIT_CONFIG_NOSYSTEM: "1" },
    });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-q", "-m", "baseline");
  return { base, workspace, outside, secret };
}

/** Every entry under `root` with its type, full mode and content (or link target) hash. */
export function snapshotTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    const path = rel ? join(root, rel) : root;
    const st = lstatSync(path);
    let what: string;
    if (st.isSymbolicLink()) what = `link ${readlinkSync(path)}`;
    else if (st.isFile()) what = `file ${createHash("sha256").update(readFileSync(path)).digest("hex")}`;
    else if (st.isDirectory()) what = "dir";
    else what = "other";
    out.set(rel || ".", `${(st.mode & 0o7777).toString(8)} ${what}`);
    if (st.isDirectory()) for (const name of readdirSync(path).sort()) walk(rel ? `${rel}/${name}` : name);
  };
  walk("");
  return out;
}

/**
 * One line per file or symlink under the current directory (not .git): `x|f path sha256` or
 * `l path -> target`. git keeps only these properties, so they are what a patch must reproduce.
 */
export const manifestCommand = [
  "export LC_ALL=C;",
  "find . -path ./.git -prune -o -type l -printf 'l %p -> %l\\n' -o -type f -perm -u+x -printf 'x %p\\n' -o -type f -printf 'f %p\\n' | sort;",
  "find . -path ./.git -prune -o -type f -print0 | xargs -0 -r sha256sum | sort",
].join(" ");

export function hostManifest(dir: string): string {
  return execFileSync("/bin/sh", ["-c", manifestCommand], { cwd: dir, encoding: "utf8" });
}

/** Applies `patch` to a fresh copy of `workspace` with the real `git apply`; returns the copy. */
export function applyToPristineCopy(workspace: string, patch: string): string {
  const copy = mkdtempSync(join(tmpdir(), "closedloop-pristine-"));
  execFileSync("cp", ["-a", "--", `${workspace}/.`, copy]);
  execFileSync("git", ["apply", "--whitespace=nowarn", "-"], {
    cwd: copy,
    input: patch,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: copy, GIT_CONFIG_NOSYSTEM: "1" },
  });
  return copy;
}

/** Host pids whose command line contains `marker` (processes in child PID namespaces included). */
export function pidsWithMarker(marker: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, "utf8").includes(marker)) pids.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}
