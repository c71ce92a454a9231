// A patch holds what the user would commit, never what running the verifier left behind.
// Two filters: the repository's own ignore rules when the workspace is in a git repository
// (at its top or anywhere below it: discovery walks up, so a package inside a monorepo
// honours the monorepo's .gitignore), exactly as `git status` would leave paths out; and,
// in any workspace, the caches and outputs runners write (__pycache__, .pytest_cache,
// coverage, *.tsbuildinfo, node_modules …), plus build output that was not in the user's tree.
// The host repository is only read.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

/** Directory names a runner, compiler or package manager writes into; never part of a patch. */
const sideEffectDirs = new Set([
  "node_modules",
  "__pycache__",
  ".pytest_cache",
  ".mypy_cache",
  ".ruff_cache",
  ".hypothesis",
  ".tox",
  ".nox",
  ".nyc_output",
  "coverage",
  ".coverage-data",
  ".vitest",
  ".turbo",
  ".parcel-cache",
  ".eslintcache",
]);
const sideEffectFiles = /(\.pyc|\.pyo|\.tsbuildinfo)$|(^|\/)\.coverage(\..*)?$|(^|\/)\.eslintcache$/;
/** Top-level build output: left out when the user's tree did not have it (new output only). */
const buildDirs = new Set(["dist", "build", "out", "target", ".next", ".nuxt", ".svelte-kit"]);

/** True for a path that only a verifier or build run could have produced. */
export function isSideEffectPath(workspace: string, path: string): boolean {
  const segments = path.split("/");
  if (segments.some((segment) => sideEffectDirs.has(segment))) return true;
  if (sideEffectFiles.test(path)) return true;
  return buildDirs.has(segments[0]!) && !existsSync(join(workspace, path));
}

export async function dropGitIgnored(workspace: string, paths: string[]): Promise<string[]> {
  const wanted = paths.filter((path) => !isSideEffectPath(workspace, path));
  if (wanted.length === 0) return wanted;
  const ignored = await new Promise<Set<string>>((resolve) => {
    // No .git check here: check-ignore finds a repository above the workspace too, and
    // outside any repository it exits 128, which keeps every path.
    const git = spawn("git", ["-C", workspace, "check-ignore", "--stdin", "-z"], {
      stdio: ["pipe", "pipe", "ignore"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", GIT_CONFIG_NOSYSTEM: "1", HOME: "/nonexistent" },
    });
    let out = "";
    git.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    // Exit 1 means "nothing ignored"; a missing git or a broken repo keeps every path.
    git.on("error", () => resolve(new Set()));
    git.on("close", (code) => resolve(code === 0 ? new Set(out.split("\0").filter(Boolean)) : new Set()));
    git.stdin.on("error", () => {});
    git.stdin.end(`${wanted.join("\0")}\0`);
  });
  return wanted.filter((p) => !ignored.has(p));
}
