import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  applyPatchToHost,
  checkBranchTarget,
  checkPatchPaths,
  commitPatchToBranch,
  describeBranchCommit,
  UnsafePatchError,
} from "./host-patch.ts";

const root = mkdtempSync(join(tmpdir(), "closedloop-host-patch-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** A real git diff between two trees, so the fixture is what git writes. */
function gitDiff(name: string, before: string | undefined, after: string): string {
  const a = join(root, `a-${Math.random()}`);
  const b = join(root, `b-${Math.random()}`);
  mkdirSync(a);
  mkdirSync(b);
  if (before !== undefined) writeFileSync(join(a, name), before);
  writeFileSync(join(b, name), after);
  try {
    execFileSync("git", ["diff", "--no-index", "--no-prefix", "--src-prefix=a/", "--dst-prefix=b/", a, b]);
    return "";
  } catch (error) {
    const out = String((error as { stdout: Buffer }).stdout);
    return out.replaceAll(`a${a}/`, "a/").replaceAll(`b${b}/`, "b/");
  }
}

test("a patch applies to the workspace all at once", () => {
  const ws = join(root, "ws1");
  mkdirSync(ws);
  writeFileSync(join(ws, "x.txt"), "old\n");
  const patch = gitDiff("x.txt", "old\n", "new\n");
  assert.deepEqual(applyPatchToHost(ws, patch), ["x.txt"]);
  assert.equal(readFileSync(join(ws, "x.txt"), "utf8"), "new\n");
});

test("a patch that does not apply changes nothing", () => {
  const ws = join(root, "ws2");
  mkdirSync(ws);
  writeFileSync(join(ws, "x.txt"), "something else\n");
  writeFileSync(join(ws, "y.txt"), "old\n");
  const patch = gitDiff("y.txt", "old\n", "new\n") + gitDiff("x.txt", "old\n", "new\n");
  assert.throws(() => applyPatchToHost(ws, patch), /does not apply/);
  assert.equal(readFileSync(join(ws, "y.txt"), "utf8"), "old\n", "the file that would apply was left alone");
});

test("paths that climb out, are absolute or reach into .git are refused", () => {
  const ws = join(root, "ws3");
  mkdirSync(ws);
  const patch = gitDiff("f.txt", "a\n", "b\n");
  assert.throws(() => checkPatchPaths(ws, patch.replaceAll("f.txt", "../f.txt")), UnsafePatchError);
  assert.throws(() => checkPatchPaths(ws, patch.replaceAll("a/f.txt", "/etc/f.txt")), UnsafePatchError);
  assert.throws(
    () => checkPatchPaths(ws, patch.replaceAll("f.txt", ".git/hooks/pre-commit")),
    /inside \.git/,
  );
  assert.doesNotThrow(() => checkPatchPaths(ws, patch));
});

test("a path through a symlink that leads out of the repo is refused", () => {
  const ws = join(root, "ws4");
  const outside = join(root, "outside");
  mkdirSync(ws);
  mkdirSync(outside);
  symlinkSync(outside, join(ws, "link"));
  const patch = gitDiff("f.txt", "a\n", "b\n").replaceAll("f.txt", "link/f.txt");
  assert.throws(() => checkPatchPaths(ws, patch), /symlink out of the repo/);
});

test("--branch is checked up front: a git repo with a commit, a valid and free name", () => {
  const ws = join(root, "branch-target");
  mkdirSync(ws);
  assert.throws(() => checkBranchTarget(ws, "fix"), /needs a git repository/);
  execFileSync("git", ["init", "-q", ws]);
  assert.throws(() => checkBranchTarget(ws, "fix"), /first commit/);
  writeFileSync(join(ws, "a.txt"), "a\n");
  execFileSync("git", ["-C", ws, "add", "a.txt"]);
  execFileSync("git", ["-C", ws, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "a"]);
  assert.throws(() => checkBranchTarget(ws, "bad..name"), /not a valid branch name/);
  execFileSync("git", ["-C", ws, "branch", "taken"]);
  assert.throws(() => checkBranchTarget(ws, "taken"), /already exists/);
  assert.doesNotThrow(() => checkBranchTarget(ws, "closedloop/fix-1"));
});

// The identity variables of whoever runs the tests must not decide whose name the commit gets.
const identityVars = ["GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"];
function withEnv<T>(overrides: Record<string, string | undefined>, body: () => T): T {
  const saved = Object.fromEntries(Object.keys(overrides).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(overrides)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return body();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
const noIdentityEnv = Object.fromEntries(identityVars.map((k) => [k, undefined]));

/** A repo with one commit, a staged change, an unstaged change, an untracked, an ignored file and a runs folder. */
function dirtyRepo(name: string) {
  const ws = join(root, name);
  mkdirSync(ws);
  const git = (...a: string[]) => execFileSync("git", a, { cwd: ws, encoding: "utf8" }).trim();
  git("init", "-q", "-b", "main");
  git("config", "user.name", "Ada Tester");
  git("config", "user.email", "ada@example.test");
  writeFileSync(join(ws, "a.txt"), "a1\n");
  writeFileSync(join(ws, "b.txt"), "b1\n");
  writeFileSync(join(ws, ".gitignore"), "*.log\n");
  git("add", ".");
  git("commit", "-qm", "init");
  writeFileSync(join(ws, "b.txt"), "b2 uncommitted\n"); // unstaged working-tree change
  writeFileSync(join(ws, "s.txt"), "staged\n");
  git("add", "s.txt"); // staged in the user's index
  writeFileSync(join(ws, "new.txt"), "untracked\n");
  writeFileSync(join(ws, "noise.log"), "ignored\n");
  mkdirSync(join(ws, ".closedloop", "runs"), { recursive: true });
  writeFileSync(join(ws, ".closedloop", "runs", "secret.jsonl"), "{}\n");
  return { ws, git };
}

function snapshot(ws: string, git: (...a: string[]) => string) {
  const hash = (p: string) =>
    createHash("sha256")
      .update(readFileSync(join(ws, p)))
      .digest("hex");
  return {
    status: git("status", "--porcelain", "--ignored"),
    index: hash(".git/index"),
    files: ["a.txt", "b.txt", "s.txt", "new.txt", "noise.log"].map((f) => readFileSync(join(ws, f), "utf8")),
  };
}

test("--branch commits the working tree + the patch, as the configured user, leaving index and tree alone", () => {
  const { ws, git } = dirtyRepo("branch-dirty");
  // The patch was made against the working tree (b2), so HEAD + patch would not even apply.
  const patch =
    gitDiff("a.txt", "a1\n", "a2 patched\n") + gitDiff("b.txt", "b2 uncommitted\n", "b3 patched\n");
  const before = snapshot(ws, git);
  const made = withEnv(noIdentityEnv, () => commitPatchToBranch(ws, patch, "fix", "closedloop: fix it"));
  assert.deepEqual(snapshot(ws, git), before, "the user's index, status and files are as they were");
  assert.equal(git("rev-parse", "fix"), made.commit);
  assert.equal(git("rev-parse", "fix^"), git("rev-parse", "HEAD"), "the parent is HEAD");
  assert.equal(git("show", "fix:a.txt"), "a2 patched");
  assert.equal(git("show", "fix:b.txt"), "b3 patched", "the patch went on top of the uncommitted change");
  assert.equal(git("show", "fix:s.txt"), "staged");
  assert.equal(git("show", "fix:new.txt"), "untracked");
  const tree = git("ls-tree", "-r", "--name-only", "fix").split("\n");
  assert.ok(!tree.includes("noise.log"), "ignored files stay out");
  assert.ok(!tree.some((f) => f.startsWith(".closedloop")), "the runs folder stays out");
  assert.equal(
    git("show", "-s", "--format=%an <%ae>|%cn <%ce>", "fix"),
    "Ada Tester <ada@example.test>|Ada Tester <ada@example.test>",
  );
  assert.equal(made.author, "Ada Tester <ada@example.test>");
  assert.equal(made.identityFallback, false);
  assert.doesNotMatch(describeBranchCommit("fix", made), /no user\.name/);
});

test("--branch honours GIT_AUTHOR_* and a workspace below the top of the repository", () => {
  const { ws, git } = dirtyRepo("branch-env");
  mkdirSync(join(ws, "pkg"));
  writeFileSync(join(ws, "pkg", "p.txt"), "p1\n");
  writeFileSync(join(ws, "outside-pkg.txt"), "not in the workspace\n");
  const patch = gitDiff("p.txt", "p1\n", "p2\n");
  const made = withEnv(
    { ...noIdentityEnv, GIT_AUTHOR_NAME: "Env Author", GIT_AUTHOR_EMAIL: "env@example.test" },
    () => commitPatchToBranch(join(ws, "pkg"), patch, "sub", "m"),
  );
  assert.equal(made.author, "Env Author <env@example.test>");
  assert.equal(
    git("show", "-s", "--format=%cn", "sub"),
    "Ada Tester",
    "the committer still comes from config",
  );
  assert.equal(git("show", "sub:pkg/p.txt"), "p2");
  const tree = git("ls-tree", "-r", "--name-only", "sub").split("\n");
  assert.ok(!tree.includes("outside-pkg.txt"), "only the workspace's files are taken from the working tree");
  assert.ok(!tree.includes("new.txt"), "untracked files outside the workspace stay out");
});

test("--branch falls back to closedloop's identity only when git has none, and says so", () => {
  const { ws, git } = dirtyRepo("branch-noid");
  git("config", "--unset", "user.name");
  git("config", "--unset", "user.email");
  const globalConfig = join(root, "no-identity.gitconfig");
  // useConfigOnly stops git guessing a name from the machine, as on a fresh install.
  writeFileSync(globalConfig, "[user]\n\tuseConfigOnly = true\n");
  const env = { ...noIdentityEnv, GIT_CONFIG_GLOBAL: globalConfig, GIT_CONFIG_NOSYSTEM: "1" };
  assert.throws(() =>
    execFileSync("git", ["var", "GIT_AUTHOR_IDENT"], {
      cwd: ws,
      env: { ...process.env, ...env, ...noIdentityEnv },
      stdio: "pipe",
    }),
  );
  const made = withEnv(env, () => commitPatchToBranch(ws, gitDiff("a.txt", "a1\n", "a2\n"), "anon", "m"));
  assert.equal(made.identityFallback, true);
  assert.equal(made.author, "closedloop <closedloop@localhost>");
  assert.match(
    describeBranchCommit("anon", made),
    /closedloop <closedloop@localhost>, because git has no user\.name/,
  );
  assert.equal(git("show", "anon:a.txt"), "a2");
});
