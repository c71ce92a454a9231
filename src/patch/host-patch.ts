// Putting a verified patch on the host, only when asked. Every path is checked first (no
// `..`, no absolute paths, nothing under `.git/`, no symlink on the way that leads out of the
// repo, no new symlink pointing out); then `git apply --check` and `git apply`, which applies
// all files or none. `--branch` commits the working tree + the patch (what was verified)
// through a temporary index, so neither the working tree nor the user's index is touched.
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

export interface BranchCommit {
  commit: string;
  /** `Name <email>` the commit was made with. */
  author: string;
  /** True when git had no identity and `closedloop <closedloop@localhost>` was used. */
  identityFallback: boolean;
}

const fallbackIdentity = { name: "closedloop", email: "closedloop@localhost" };

/**
 * The env for commit-tree: git's own identity (config, GIT_AUTHOR_* / GIT_COMMITTER_*) when it
 * has one; only for a role git cannot name at all, closedloop's fallback.
 */
function commitIdentity(root: string): { env: Record<string, string>; fallback: boolean } {
  const env: Record<string, string> = {};
  let fallback = false;
  for (const role of ["AUTHOR", "COMMITTER"] as const) {
    if (git(root, ["var", `GIT_${role}_IDENT`], undefined, noCeiling).ok) continue;
    fallback = true;
    env[`GIT_${role}_NAME`] = process.env[`GIT_${role}_NAME`] || fallbackIdentity.name;
    env[`GIT_${role}_EMAIL`] = process.env[`GIT_${role}_EMAIL`] || fallbackIdentity.email;
  }
  return { env, fallback };
}

/**
 * Commits what was verified — the working tree (tracked and untracked-not-ignored files of the
 * workspace, without `.closedloop/`) plus the patch — on a new branch whose parent is HEAD.
 * Everything goes through a temporary index: the user's index and working tree are untouched.
 */
export function commitPatchToBranch(
  workspace: string,
  patch: string,
  branch: string,
  message: string,
): BranchCommit {
  checkBranchTarget(workspace, branch);
  checkPatchPaths(workspace, patch);
  const root = git(workspace, ["rev-parse", "--show-toplevel"], undefined, noCeiling).out;
  const prefix = relative(root, realpathSync(workspace)).split(sep).join("/");
  const scratch = mkdtempSync(join(tmpdir(), "closedloop-index-"));
  const env = { ...noCeiling, GIT_INDEX_FILE: join(scratch, "index") };
  try {
    const steps: [string, string[], string?][] = [
      [root, ["read-tree", "HEAD"]],
      // Run in the workspace: `.` keeps `add -A` to it, the exclude keeps the runs folder out,
      // and .gitignore keeps ignored files out, as the sandbox's patch does.
      [workspace, ["add", "-A", "--", ".", ":(exclude).closedloop"]],
    ];
    if (patch.trim() !== "")
      steps.push([
        root,
        ["apply", "--cached", "--whitespace=nowarn", ...(prefix ? [`--directory=${prefix}`] : []), "-"],
        patch,
      ]);
    for (const [cwd, args, input] of steps) {
      const r = git(cwd, args, input, env);
      if (!r.ok) throw new UserError(`could not build the commit for --branch (git ${args[0]}: ${r.err})`);
    }
    const tree = git(root, ["write-tree"], undefined, env);
    if (!tree.ok) throw new UserError(`could not commit for --branch: ${tree.err}`);
    const identity = commitIdentity(root);
    const commit = git(root, ["commit-tree", tree.out, "-p", "HEAD", "-m", message], undefined, {
      ...env,
      ...identity.env,
    });
    if (!commit.ok) throw new UserError(`could not commit for --branch: ${commit.err}`);
    const made = git(root, ["update-ref", `refs/heads/${branch}`, commit.out, ""], undefined, noCeiling);
    if (!made.ok) throw new UserError(`could not create branch ${branch}: ${made.err}`);
    const author = git(root, ["show", "-s", "--format=%an <%ae>", commit.out], undefined, noCeiling).out;
    return { commit: commit.out, author, identityFallback: identity.fallback };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The line a user reads after --branch (says when closedloop had to sign the commit itself). */
export function describeBranchCommit(branch: string, made: BranchCommit): string {
  const who = made.identityFallback
    ? `as ${made.author}, because git has no user.name/user.email configured`
    : `as ${made.author}`;
  return `committed your working tree + the patch on new branch ${branch} (${made.commit.slice(0, 12)}) ${who}; your working tree and index are unchanged`;
}
