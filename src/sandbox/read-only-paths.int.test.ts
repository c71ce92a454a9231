// policy.readOnlyPaths in a real local sandbox: the listed files and folders keep the
// user's content whatever runs inside (write, remove, rename, replace, add), while the rest
// of the workspace stays writable. Each attempt is first shown to work without the policy.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createSandbox } from "./index.ts";
import { resolveReadOnlyPaths } from "./read-only-paths.ts";
import type { Sandbox } from "./types.ts";

const original = "test('a', () => { throw new Error('red') });\n";
// Each line tries one way of changing a protected path; `ok NAME` means it worked.
const attempts = [
  `echo fake > test/a.test.js && echo "ok write"`,
  `rm -f test/a.test.js 2>/dev/null && [ ! -e test/a.test.js ] && echo "ok remove"`,
  `mv test test.aside 2>/dev/null && mkdir test && echo fake > test/a.test.js && echo "ok rename-and-replace"`,
  `echo x > test/new.test.js 2>/dev/null && echo "ok add"`,
  `mv package.json p.json 2>/dev/null && echo '{}' > package.json && echo "ok replace-file"`,
  `echo '// fixed' >> src/x.js && echo "ok source"`,
].join("; ");

function makeWorkspace(): string {
  const dir = mkdtempSync(join(tmpdir(), "cl-ro-"));
  mkdirSync(join(dir, "test"));
  mkdirSync(join(dir, "src"));
  writeFileSync(join(dir, "test", "a.test.js"), original);
  writeFileSync(join(dir, "package.json"), '{"scripts":{"test":"node --test test/"}}\n');
  writeFileSync(join(dir, "src", "x.js"), "module.exports = 1;\n");
  symlinkSync("/etc", join(dir, "etc-link"));
  return dir;
}

describe("read-only paths in the local sandbox", () => {
  let dir: string;
  const open: Sandbox[] = [];
  before(() => {
    dir = makeWorkspace();
  });
  after(async () => {
    for (const sb of open) await sb.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test("without the policy every attempt works (the attacks are real)", async () => {
    const sb = await createSandbox({ workspace: dir, backend: "local", warmPool: false });
    open.push(sb);
    const r = await sb.exec(attempts);
    assert.deepEqual(
      r.stdout.trim().split("\n"),
      ["ok write", "ok remove", "ok rename-and-replace", "ok add", "ok replace-file", "ok source"],
      r.stderr,
    );
  });

  test("with it, only the source change goes through and the protected files keep the user's content", async () => {
    const sb = await createSandbox({
      workspace: dir,
      backend: "local",
      warmPool: false,
      readOnlyPaths: ["test", "package.json", "test/a.test.js", "etc-link/passwd", "missing.txt"],
    });
    open.push(sb);
    assert.deepEqual(
      sb.info.readOnlyPaths,
      ["package.json", "test"],
      "nested, linked and missing paths are dropped",
    );
    const r = await sb.exec(attempts);
    assert.deepEqual(r.stdout.trim().split("\n"), ["ok source"], r.stderr);
    const inside = await sb.exec("cat test/a.test.js; ls test; cat package.json");
    assert.equal(inside.stdout, `${original}a.test.js\n{"scripts":{"test":"node --test test/"}}\n`);
    assert.match(await sb.diff(), /^\+\/\/ fixed$/m, "the rest of the workspace is writable");
    assert.doesNotMatch(await sb.diff(), /a\.test\.js|package\.json/);
    assert.equal(
      readFileSync(join(dir, "test", "a.test.js"), "utf8"),
      original,
      "the host tree is untouched",
    );
  });
});

test("paths outside the workspace are refused; links on the way are never followed", () => {
  const dir = makeWorkspace();
  try {
    for (const bad of ["../x", "/etc/passwd", "", "."])
      assert.throws(() => resolveReadOnlyPaths(dir, [bad]), /inside the workspace/, bad);
    assert.deepEqual(resolveReadOnlyPaths(dir, ["etc-link", "etc-link/passwd", "src/", "src/x.js"]), ["src"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
