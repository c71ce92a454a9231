// Each case builds a tree, copies it with `cp -a`, changes the copy, and checks that the real
// `git apply` of diffTrees' patch onto a pristine copy reproduces the changed tree exactly.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { hostManifest } from "./contract-fixture.ts";
import { diffTrees } from "./workspace-diff.ts";

const scratch = mkdtempSync(join(tmpdir(), "closedloop-difftest-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;

interface Trees {
  before: string;
  after: string;
}

function trees(files: Record<string, string | Buffer>, modes: Record<string, number> = {}): Trees {
  const dir = join(scratch, String(++n));
  const before = join(dir, "before");
  mkdirSync(before, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(before, rel)), { recursive: true });
    writeFileSync(join(before, rel), content);
    chmodSync(join(before, rel), modes[rel] ?? 0o644);
  }
  const afterDir = join(dir, "after");
  execFileSync("cp", ["-a", "--", `${before}/.`, afterDir]);
  return { before, after: afterDir };
}

/** Applies the patch to a fresh copy of `before` and checks it now looks like `after`. */
function assertRoundTrip(t: Trees, patch: string): void {
  const target = join(dirname(t.before), "applied");
  execFileSync("cp", ["-a", "--", `${t.before}/.`, target]);
  if (patch) execFileSync("git", ["apply", "--whitespace=nowarn", "-"], { cwd: target, input: patch });
  assert.equal(hostManifest(target), hostManifest(t.after));
}

const w = (root: string, rel: string, content: string | Buffer) => {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), content);
};

test("identical trees give an empty patch", async () => {
  const t = trees({ "a.txt": "same\n", "b/c.txt": "same\n" });
  assert.equal(await diffTrees(t), "");
});

test("new, modified and deleted text files round-trip, with standard a/ b/ headers", async () => {
  const t = trees({ "keep.txt": "one\ntwo\n", "gone.txt": "bye\n" });
  w(t.after, "keep.txt", "one\nTWO\n");
  w(t.after, "nested/dir/new.txt", "fresh\n");
  unlinkSync(join(t.after, "gone.txt"));
  const patch = await diffTrees(t);
  assert.match(patch, /^diff --git a\/keep\.txt b\/keep\.txt$/m);
  assert.match(
    patch,
    /^diff --git a\/nested\/dir\/new\.txt b\/nested\/dir\/new\.txt\nnew file mode 100644$/m,
  );
  assert.match(patch, /^diff --git a\/gone\.txt b\/gone\.txt\ndeleted file mode 100644$/m);
  assertRoundTrip(t, patch);
});

test("a moved file with the same content is a rename, not a delete and an add", async () => {
  const t = trees({ "old/name.txt": "moving content\n".repeat(20) });
  mkdirSync(join(t.after, "new"));
  renameSync(join(t.after, "old/name.txt"), join(t.after, "new/name.txt"));
  const patch = await diffTrees(t);
  assert.match(patch, /^rename from old\/name\.txt\nrename to new\/name\.txt$/m);
  assert.doesNotMatch(patch, /^deleted file/m);
  assertRoundTrip(t, patch);
});

test("binary files are carried as git binary patches", async () => {
  const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));
  const t = trees({ "img.bin": bytes });
  const changed = Buffer.from(bytes);
  changed[100] = 0;
  changed[2000] = 255;
  w(t.after, "img.bin", changed);
  w(t.after, "new.bin", Buffer.from([0, 1, 2, 3, 0]));
  const patch = await diffTrees(t);
  assert.equal(patch.match(/^GIT binary patch$/gm)?.length, 2);
  assertRoundTrip(t, patch);
});

test("text that is not UTF-8 survives as a binary patch instead of being mangled", async () => {
  const t = trees({ "latin1.txt": Buffer.from("caf\xe9\n", "latin1") });
  w(t.after, "latin1.txt", Buffer.from("caf\xe9s cr\xe8me\n", "latin1"));
  const patch = await diffTrees(t);
  assert.match(patch, /^GIT binary patch$/m);
  assertRoundTrip(t, patch);
});

test("executable bit changes both ways are mode changes", async () => {
  const t = trees({ "tool.sh": "#!/bin/sh\n", "data.txt": "x\n" }, { "tool.sh": 0o755 });
  chmodSync(join(t.after, "tool.sh"), 0o644);
  chmodSync(join(t.after, "data.txt"), 0o755);
  const patch = await diffTrees(t);
  assert.match(patch, /^diff --git a\/tool\.sh b\/tool\.sh\nold mode 100755\nnew mode 100644$/m);
  assert.match(patch, /^diff --git a\/data\.txt b\/data\.txt\nold mode 100644\nnew mode 100755$/m);
  assertRoundTrip(t, patch);
});

test("symlinks are created, retargeted, replaced by files and removed as symlinks", async () => {
  const t = trees({ "target.txt": "t\n", "other.txt": "o\n" });
  symlinkSync("target.txt", join(t.before, "retarget"));
  symlinkSync("target.txt", join(t.before, "becomes-file"));
  symlinkSync("target.txt", join(t.before, "removed-link"));
  execFileSync("cp", ["-a", "--", `${t.before}/.`, t.after]);
  symlinkSync("other.txt", join(t.after, "new-link"));
  symlinkSync("../outside/anything", join(t.after, "points-out"));
  unlinkSync(join(t.after, "retarget"));
  symlinkSync("other.txt", join(t.after, "retarget"));
  unlinkSync(join(t.after, "becomes-file"));
  w(t.after, "becomes-file", "now a file\n");
  unlinkSync(join(t.after, "removed-link"));
  const patch = await diffTrees(t);
  assert.match(patch, /^diff --git a\/new-link b\/new-link\nnew file mode 120000$/m);
  assert.match(patch, /^deleted file mode 120000$/m);
  assertRoundTrip(t, patch);
});

test("empty files and files without a trailing newline round-trip", async () => {
  const t = trees({ "tail.txt": "no newline", "was-empty.txt": "" });
  w(t.after, "tail.txt", "no newline, still");
  w(t.after, "was-empty.txt", "now has text\n");
  w(t.after, "new-empty.txt", "");
  w(t.after, "new-tail.txt", "x");
  const patch = await diffTrees(t);
  assert.match(patch, /^\\ No newline at end of file$/m);
  assert.match(patch, /^diff --git a\/new-empty\.txt b\/new-empty\.txt\nnew file mode 100644$/m);
  assertRoundTrip(t, patch);
});

test("names with spaces and non-ASCII letters round-trip", async () => {
  const t = trees({ "with space.txt": "a\n", "ünï/cödé.txt": "b\n" });
  w(t.after, "with space.txt", "A\n");
  w(t.after, "ünï/cödé.txt", "B\n");
  w(t.after, "new dir/ø file.txt", "c\n");
  assertRoundTrip(t, await diffTrees(t));
});

test(".git internals never appear, and exclude leaves out what it names", async () => {
  const t = trees({ "src.txt": "1\n", ".git/HEAD": "ref: refs/heads/main\n", "vendor/.git/config": "x\n" });
  w(t.after, ".git/HEAD", "ref: refs/heads/other\n");
  w(t.after, ".git/objects/ab/cdef", "blob");
  w(t.after, "vendor/.git/config", "y\n");
  w(t.after, "build/out.js", "generated\n");
  w(t.after, "src.txt", "2\n");
  const patch = await diffTrees({ ...t, exclude: (rel) => rel === "build" || rel.startsWith("build/") });
  assert.doesNotMatch(patch, /\.git\//);
  assert.doesNotMatch(patch, /build\/out\.js/);
  assert.match(patch, /^diff --git a\/src\.txt b\/src\.txt$/m);
});

test("with paths, only those paths are compared, and a directory path covers its whole subtree", async () => {
  const t = trees({
    "listed.txt": "1\n",
    "unlisted.txt": "1\n",
    "olddir/a.txt": "a\n",
    "olddir/b/c.txt": "c\n",
  });
  w(t.after, "listed.txt", "2\n");
  w(t.after, "unlisted.txt", "2\n");
  w(t.after, "newdir/x.txt", "x\n");
  rmSync(join(t.after, "olddir"), { recursive: true });
  const patch = await diffTrees({ ...t, paths: ["listed.txt", "newdir", "olddir", "never-existed.txt"] });
  assert.doesNotMatch(patch, /unlisted/);
  assert.match(patch, /^diff --git a\/newdir\/x\.txt b\/newdir\/x\.txt$/m);
  assert.match(patch, /^diff --git a\/olddir\/b\/c\.txt b\/olddir\/b\/c\.txt\ndeleted file mode 100644$/m);
  w(t.after, "unlisted.txt", "1\n");
  assertRoundTrip(t, patch);
});

test("with paths, a path below a symlinked directory is not followed out of the tree", async () => {
  const outside = join(scratch, "outside-secret");
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, "secret.txt"), "do not leak\n");
  const t = trees({ "a.txt": "a\n" });
  symlinkSync(outside, join(t.after, "link"));
  const patch = await diffTrees({ ...t, paths: ["link/secret.txt", "link"] });
  assert.doesNotMatch(patch, /do not leak/);
  assert.match(patch, /^new file mode 120000$/m);
  assert.throws(() => readFileSync(join(t.before, "link")));
  await assert.rejects(diffTrees({ ...t, paths: ["../escape"] }), /relative and inside/);
});

test("a changed file with the same size is found even when its mtime was preserved elsewhere", async () => {
  const t = trees({ "same-size.txt": "aaaa\n" });
  w(t.after, "same-size.txt", "bbbb\n");
  const patch = await diffTrees(t);
  assert.match(patch, /^-aaaa$/m);
  assert.match(patch, /^\+bbbb$/m);
});
