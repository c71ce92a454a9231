// Putting a verified patch on the host, only when asked. Every path is checked first (no
// `..`, no absolute paths, nothing under `.git/`, no symlink on the way that leads out of the
// repo, no new symlink pointing out); then `git apply --check` and `git apply`, which applies
// all files or none. `--branch` commits through a temporary index, so neither the working
// tree nor the user's index is touched.
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, posix, relative, sep } from "node:path";
import { UserError } from "../util/index.ts";
import { parsePatchFiles, patchPaths, unquote } from "./parse-patch.ts";

export class UnsafePatchError extends UserError {
  override readonly name = "UnsafePatchError";
}

/** Throws an UnsafePatchError naming the first path that could reach outside `root`. */
export function checkPatchPaths(root: string, patch: string): void {
  const realRoot = realpathSync(root);
  for (const path of new Set([...patchPaths(patch), ...rawHeaderPaths(patch)])) {
    const parts = path.split("/");
    if (isAbsolute(path) || path.startsWith("~"))
      throw new UnsafePatchError(`refusing the patch: ${path} is absolute`);
    if (parts.includes("..")) throw new UnsafePatchError(`refusing the patch: ${path} climbs out with ..`);
    if (parts.some((part) => part.toLowerCase() === ".git"))
      throw new UnsafePatchError(`refusing the patch: ${path} is inside .git`);
    // Each existing prefix must resolve inside the repo (a symlinked directory could lead out).
    for (let i = 1; i <= parts.length; i++) {
      const prefix = join(root, ...parts.slice(0, i));
      if (!existsSync(prefix) && !isSymlink(prefix)) break;
      const real =
        isSymlink(prefix) && i === parts.length ? realpathOrSelf(dirname(prefix)) : realpathOrSelf(prefix);
      const rel = relative(realRoot, real);
      if (rel.startsWith("..") || isAbsolute(rel))
        throw new UnsafePatchError(`refusing the patch: ${path} goes through a symlink out of the repo`);
    }
  }
  // A new or changed symlink must not point out of the repo either.
  for (const file of parsePatchFiles(patch).files) {
    if (file.newPath === null || !/^(?:new file mode|new mode|index \S+) ?120000/m.test(file.text)) continue;
    const target =
      file.text
        .split("\n")
        .find((l) => l.startsWith("+") && !l.startsWith("+++"))
        ?.slice(1) ?? "";
    const resolved = posix.normalize(posix.join(posix.dirname(file.newPath), target));
    if (isAbsolute(target) || resolved.startsWith(".."))
      throw new UnsafePatchError(
        `refusing the patch: symlink ${file.newPath} would point out of the repo (${target})`,
      );
  }
}

/**
 * The names as written on the header lines, before git's prefix is stripped: a `--- /etc/x`
 * is read by git as `etc/x`, but a patch that says it is refused all the same.
 */
function rawHeaderPaths(patch: string): string[] {
  const paths: string[] = [];
  for (const line of patch.split("\n")) {
    const side = /^(?:---|\+\+\+) (?:[ab]\/)?(.+)$/.exec(line);
    if (side && side[1] !== "/dev/null") paths.push(unquote(side[1]!.replace(/\t.*$/, "")));
  }
  return paths;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function git(cwd: string, args: string[], input?: string, env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync("git", args, {
    cwd,
    input,
    encoding: "utf8",
    env: { ...process.env, GIT_CEILING_DIRECTORIES: dirname(cwd), ...env },
  });
  return {
    ok: result.status === 0,
    out: result.stdout.trim(),
    err: (result.stderr || String(result.error ?? "")).trim(),
  };
}

/** Applies the patch to the workspace, all files or none. */
export function applyPatchToHost(workspace: string, patch: string): string[] {
  if (patch.trim() === "") return [];
  checkPatchPaths(workspace, patch);
  const check = git(workspace, ["apply", "--check", "--whitespace=nowarn", "-"], patch);
  if (!check.ok)
    throw new UserError(
      `the patch does not apply to ${workspace} any more (${check.err}); nothing was changed`,
    );
  const applied = git(workspace, ["apply", "--whitespace=nowarn", "-"], patch);
  if (!applied.ok) throw new UserError(`git apply failed (${applied.err}); nothing was changed`);
  return patchPaths(patch);
}

// A branch may be made from a workspace below the top of its repository.
const noCeiling = { GIT_CEILING_DIRECTORIES: "" };

/**
 * Checked before any model call, so a run never ends verified with nowhere to put its result:
 * the workspace is in a git repository with a commit, the name is valid and free.
 */
export function checkBranchTarget(workspace: string, branch: string): void {
  const top = git(workspace, ["rev-parse", "--show-toplevel"], undefined, noCeiling);
  if (!top.ok)
    throw new UserError(
      `--branch needs a git repository, and ${workspace} is not in one; use --apply instead`,
    );
  if (!git(workspace, ["check-ref-format", "--branch", branch], undefined, noCeiling).ok)
    throw new UserError(`--branch ${branch} is not a valid branch name`);
  if (git(workspace, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], undefined, noCeiling).ok)
    throw new UserError(`branch ${branch} already exists; choose another name`);
  if (!git(workspace, ["rev-parse", "--verify", "--quiet", "HEAD"], undefined, noCeiling).ok)
    throw new UserError(`--branch needs a first commit in ${top.out} to branch from`);
}

/** Commits the patch on a new branch from HEAD; returns the commit id. The working tree is untouched. */
export function commitPatchToBranch(
  workspace: string,
  patch: string,
  branch: string,
  message: string,
): string {
  const top = git(workspace, ["rev-parse", "--show-toplevel"], undefined, noCeiling);
  if (!top.ok)
    throw new UserError(
      `--branch needs a git repository, and ${workspace} is not in one; use --apply instead`,
    );
  const ref = git(workspace, ["check-ref-format", "--branch", branch], undefined, noCeiling);
  if (!ref.ok) throw new UserError(`--branch ${branch} is not a valid branch name`);
  if (git(workspace, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], undefined, noCeiling).ok)
    throw new UserError(`branch ${branch} already exists; choose another name`);
  checkPatchPaths(workspace, patch);
  const prefix = relative(top.out, realpathSync(workspace)).split(sep).join("/");
  const scratch = mkdtempSync(join(tmpdir(), "closedloop-index-"));
  const env = { ...noCeiling, GIT_INDEX_FILE: join(scratch, "index") };
  try {
    const root = top.out;
    const steps: [string[], string?][] = [[["read-tree", "HEAD"]]];
    steps.push([
      ["apply", "--cached", "--whitespace=nowarn", ...(prefix ? [`--directory=${prefix}`] : []), "-"],
      patch,
    ]);
    for (const [args, input] of steps) {
      const r = git(root, args, input, env);
      if (!r.ok) throw new UserError(`could not build the commit for --branch (git ${args[0]}: ${r.err})`);
    }
    const tree = git(root, ["write-tree"], undefined, env);
    const commit = git(root, ["commit-tree", tree.out, "-p", "HEAD", "-m", message], undefined, {
      ...env,
      GIT_AUTHOR_NAME: process.env.GIT_AUTHOR_NAME ?? "closedloop",
      GIT_AUTHOR_EMAIL: process.env.GIT_AUTHOR_EMAIL ?? "closedloop@localhost",
      GIT_COMMITTER_NAME: process.env.GIT_COMMITTER_NAME ?? "closedloop",
      GIT_COMMITTER_EMAIL: process.env.GIT_COMMITTER_EMAIL ?? "closedloop@localhost",
    });
    if (!tree.ok || !commit.ok)
      throw new UserError(`could not commit for --branch: ${tree.err || commit.err}`);
    const made = git(root, ["branch", branch, commit.out], undefined, noCeiling);
    if (!made.ok) throw new UserError(`could not create branch ${branch}: ${made.err}`);
    return commit.out;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
