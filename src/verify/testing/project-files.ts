// Test support for the verify module: a small project written from a map of relative paths
// to contents, in a scratch folder removed after the test file's tests.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after } from "node:test";

/** Writes each file under `dir` (parents made as needed) and returns `dir`. */
export function writeProject(dir: string, files: Record<string, string>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** `project(name, files)` writes a project in a scratch folder that `after()` removes. */
export function scratchProjects(prefix: string): (name: string, files: Record<string, string>) => string {
  const root = mkdtempSync(join(tmpdir(), `closedloop-${prefix}-`));
  after(() => rmSync(root, { recursive: true, force: true }));
  return (name, files) => writeProject(join(root, name), files);
}
