import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { dropGitIgnored } from "./git-ignored.ts";

test("paths the repository ignores leave the patch, tracked ones stay even under an ignored folder", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cl-ignore-"));
  try {
    writeFileSync(join(dir, ".gitignore"), "node_modules/\nbuild/\n");
    mkdirSync(join(dir, "build"));
    writeFileSync(join(dir, "build", "kept.txt"), "tracked on purpose\n");
    execFileSync("git", ["init", "-q", dir]);
    execFileSync("git", ["-C", dir, "add", "-f", ".gitignore", "build/kept.txt"]);
    const kept = await dropGitIgnored(dir, [
      "src/a.ts",
      "node_modules/x/index.js",
      "build/out.js",
      "build/kept.txt",
    ]);
    assert.deepEqual(kept, ["src/a.ts", "build/kept.txt"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("outside a git repository every path is kept but what runners leave behind", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cl-ignore-"));
  try {
    writeFileSync(join(dir, ".gitignore"), "src/\n");
    mkdirSync(join(dir, "build"));
    writeFileSync(join(dir, "build", "make.sh"), "the user's own\n");
    const kept = await dropGitIgnored(dir, [
      "src/a.py",
      "src/__pycache__/a.cpython-312.pyc",
      ".pytest_cache/v/cache/nodeids",
      "coverage/lcov.info",
      "node_modules/x.js",
      "tsconfig.tsbuildinfo",
      "dist/index.js",
      "build/make.sh",
    ]);
    assert.deepEqual(kept, ["src/a.py", "build/make.sh"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a workspace below the top of a repository honours the repository's .gitignore", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cl-ignore-"));
  try {
    execFileSync("git", ["init", "-q", dir]);
    writeFileSync(join(dir, ".gitignore"), "*.log\ngenerated/\n");
    const workspace = join(dir, "packages", "app");
    mkdirSync(workspace, { recursive: true });
    const kept = await dropGitIgnored(workspace, ["src/a.ts", "debug.log", "generated/x.ts"]);
    assert.deepEqual(kept, ["src/a.ts"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
