// Test support for the verify module: a small project written from a map of relative paths
// to contents, in a scratch folder removed after the test file's tests.
import { spawnSync } from "node:child_process";
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

/**
 * A verifier command run bare on the host, as the user would (CI=true): the proof that a
 * cheat is real. Without NODE_TEST_CONTEXT, a node:test run inside ours would report to ours
 * and exit 0.
 */
export function runRaw(dir: string, command: string): { code: number | null; output: string } {
  const { NODE_TEST_CONTEXT: _context, NODE_OPTIONS: _options, ...env } = process.env;
  const r = spawnSync("sh", ["-c", command], {
    cwd: dir,
    encoding: "utf8",
    env: { ...env, CI: "true" },
    timeout: 120_000,
  });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}
