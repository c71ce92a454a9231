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

test("outside a git repository every path is kept", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cl-ignore-"));
  try {
    writeFileSync(join(dir, ".gitignore"), "node_modules/\n");
    assert.deepEqual(await dropGitIgnored(dir, ["node_modules/x.js"]), ["node_modules/x.js"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
