import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { filterPatch } from "./filter-patch.ts";
import { hashPatch, PatchFormatError, parsePatchFiles, patchFiles, patchPaths } from "./parse-patch.ts";

/** The predicate the verifier passes, reduced to prefixes and suffixes for these fixtures. */
const dropping =
  (names: string[]) =>
  (path: string): boolean =>
    names.some((n) =>
      n.startsWith("*")
        ? path.endsWith(n.slice(1))
        : path === n || path.endsWith(`/${n}`) || path.startsWith(`${n}/`),
    );
const filterProtectedPatch = (text: string, names: string[]) => filterPatch(text, dropping(names));

// Fixtures come from real git: a repository, a pristine copy of it, and the diff of a set of
// changes that touch protected and unprotected files in every way git can express.
const root = mkdtempSync(join(tmpdir(), "closedloop-patch-"));
after(() => rmSync(root, { recursive: true, force: true }));

const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], { cwd, encoding: "utf8" });

function write(dir: string, path: string, content: string | Buffer) {
  mkdirSync(join(dir, path, ".."), { recursive: true });
  writeFileSync(join(dir, path), content);
}

const repo = join(root, "repo");
const pristine = join(root, "pristine");
mkdirSync(repo);
write(repo, "src/sum.js", "export const sum = (a, b) => a - b;\n");
write(repo, "test/sum.test.js", "assert(sum(1, 2) === 3);\n");
write(repo, "test/other.test.js", "assert(sum(2, 2) === 4);\n");
write(repo, "test/weird name ü.test.js", "assert(1);\n");
write(repo, "docs/logo.bin", Buffer.from([0, 1, 2, 3, 255]));
write(repo, "README.md", "readme\n");
git(repo, "init", "-q");
git(repo, "add", "-A");
git(repo, "commit", "-qm", "base");
cpSync(repo, pristine, { recursive: true });

write(repo, "src/sum.js", "export const sum = (a, b) => a + b;\n");
// The candidate weakens one protected test and deletes another: fixture text, never run.
write(repo, "test/sum.test.js", "// emptied by the candidate\n");
rmSync(join(repo, "test/other.test.js"));
write(repo, "test/weird name ü.test.js", "assert(2);\n");
git(repo, "mv", "README.md", "docs/README.md");
write(repo, "docs/logo.bin", Buffer.from([9, 9, 0, 9]));
write(repo, "src/new file.js", "export {};\n");
git(repo, "add", "-A");
const patch = git(repo, "diff", "--cached", "--binary", "-M", "HEAD");

test("the files of a real git patch are named with their old and new paths", () => {
  const files = parsePatchFiles(patch).files.map(({ oldPath, newPath }) => [oldPath, newPath]);
  assert.deepEqual(
    files.sort((a, b) => String(a[0] ?? a[1]).localeCompare(String(b[0] ?? b[1]))),
    [
      ["README.md", "docs/README.md"],
      ["docs/logo.bin", "docs/logo.bin"],
      ["src/sum.js", "src/sum.js"],
      [null, "src/new file.js"],
      ["test/other.test.js", null],
      ["test/sum.test.js", "test/sum.test.js"],
      ["test/weird name ü.test.js", "test/weird name ü.test.js"],
    ].sort((a, b) => String(a[0] ?? a[1]).localeCompare(String(b[0] ?? b[1]))),
  );
});

test("edits and deletions of protected files are removed and the rest still applies", () => {
  const filtered = filterProtectedPatch(patch, ["test"]);
  assert.deepEqual(filtered.restored, [
    "test/other.test.js",
    "test/sum.test.js",
    "test/weird name ü.test.js",
  ]);
  const copy = join(root, "apply-1");
  cpSync(pristine, copy, { recursive: true });
  execFileSync("git", ["apply", "-"], { cwd: copy, input: filtered.patch });
  assert.equal(readFileSync(join(copy, "src/sum.js"), "utf8"), "export const sum = (a, b) => a + b;\n");
  assert.equal(readFileSync(join(copy, "test/sum.test.js"), "utf8"), "assert(sum(1, 2) === 3);\n");
  assert.equal(readFileSync(join(copy, "test/other.test.js"), "utf8"), "assert(sum(2, 2) === 4);\n");
  assert.equal(readFileSync(join(copy, "test/weird name ü.test.js"), "utf8"), "assert(1);\n");
  assert.deepEqual([...readFileSync(join(copy, "docs/logo.bin"))], [9, 9, 0, 9]);
  assert.equal(readFileSync(join(copy, "docs/README.md"), "utf8"), "readme\n");
  assert.equal(existsSync(join(copy, "README.md")), false);
  assert.equal(existsSync(join(copy, "src/new file.js")), true);
});

test("a rename away from a protected path is dropped whole, binary files included", () => {
  const filtered = filterProtectedPatch(patch, ["README.md", "*.bin"]);
  assert.deepEqual(filtered.restored, ["README.md", "docs/README.md", "docs/logo.bin"]);
  const copy = join(root, "apply-2");
  cpSync(pristine, copy, { recursive: true });
  execFileSync("git", ["apply", "-"], { cwd: copy, input: filtered.patch });
  assert.equal(readFileSync(join(copy, "README.md"), "utf8"), "readme\n");
  assert.deepEqual([...readFileSync(join(copy, "docs/logo.bin"))], [0, 1, 2, 3, 255]);
  assert.equal(existsSync(join(copy, "test/other.test.js")), false);
});

test("with nothing protected the patch is unchanged, and a fully protected patch becomes empty", () => {
  assert.equal(filterProtectedPatch(patch, []).patch, patch);
  assert.deepEqual(filterProtectedPatch(patch, []).restored, []);
  const all = filterProtectedPatch(patch, ["src", "test", "docs", "README.md"]);
  assert.equal(all.patch, "");
  assert.equal(all.changed.length, 0);
  assert.equal(filterProtectedPatch("", ["test"]).patch, "");
});

test("text that is not a git patch is reported, not silently treated as empty", () => {
  assert.throws(() => parsePatchFiles("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n"), PatchFormatError);
});

test("a patch's paths and files are read from its sections, quoted names decoded", () => {
  assert.ok(patchPaths(patch).includes("test/weird name ü.test.js"));
  assert.ok(patchPaths(patch).includes("README.md"));
  assert.ok(patchFiles(patch).includes("docs/README.md"));
  assert.ok(!patchFiles(patch).includes("README.md"));
  assert.deepEqual(patchFiles("# closedloop: big.bin is left out\n"), []);
  assert.equal(hashPatch(patch), hashPatch(`${patch}`));
  assert.notEqual(hashPatch(patch), hashPatch(""));
});
