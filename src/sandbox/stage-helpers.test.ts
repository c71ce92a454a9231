import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { stageHelpers } from "./stage-helpers.ts";

const scratch = mkdtempSync(join(tmpdir(), "cl-stage-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function helperSet(name: string, agent: string): string[] {
  const dir = join(scratch, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "cl-agent"), agent);
  writeFileSync(join(dir, "cl-nodump.so"), "lib");
  return [join(dir, "cl-agent"), join(dir, "cl-nodump.so"), join(dir, "missing")];
}

test("two versions of the helpers get two folders; neither overwrites the other", () => {
  const root = join(scratch, "root");
  mkdirSync(root);
  const older = stageHelpers(root, helperSet("v1", "agent v1"));
  const newer = stageHelpers(root, helperSet("v2", "agent v2"));
  assert.notEqual(older, newer);
  assert.equal(readFileSync(join(older, "cl-agent"), "utf8"), "agent v1");
  assert.equal(readFileSync(join(newer, "cl-agent"), "utf8"), "agent v2");
  assert.equal(statSync(join(newer, "cl-agent")).mode & 0o777, 0o755);
  assert.deepEqual(readdirSync(older).sort(), ["cl-agent", "cl-nodump.so"], "missing files are skipped");
  assert.deepEqual(
    readdirSync(root).filter((n) => n.startsWith(".bin-partial")),
    [],
    "no partial copy is left",
  );
});

test("the same set again reuses its folder, also from a copy elsewhere with the same bytes", () => {
  const root = join(scratch, "root2");
  mkdirSync(root);
  const first = stageHelpers(root, helperSet("a", "same agent"));
  const before = statSync(join(first, "cl-agent")).mtimeMs;
  assert.equal(stageHelpers(root, helperSet("b", "same agent")), first);
  assert.equal(statSync(join(first, "cl-agent")).mtimeMs, before, "not copied again");
});
