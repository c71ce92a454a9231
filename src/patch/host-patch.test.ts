import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { applyPatchToHost, checkBranchTarget, checkPatchPaths, UnsafePatchError } from "./host-patch.ts";

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
