// The fallback parser on real output from tools without a parser of their own: gcc, an
// uncaught Node.js exception, a Python traceback.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compactRun, runTool, useTempProject } from "./tool-run.test-support.ts";

const project = useTempProject("generic", {
  "src/main.c": "int main(void) {\n  int x = 1;\n  return x + y + z;\n}\n",
  "src/app.mjs": "import { load } from './load.mjs';\nload('config.json');\n",
  "src/load.mjs": "export function load(name) {\n  throw new SyntaxError('bad config in ' + name);\n}\n",
  "tool.py": "def parse(s):\n    return int(s)\n\nparse('x')\n",
});

test("gcc's errors are read as compile errors with file, line and column", async () => {
  const run = await runTool("gcc", ["-c", "src/main.c", "-o", "/dev/null"], { cwd: project.dir });
  assert.notEqual(run.exitCode, 0);
  const feedback = compactRun(run, "gcc -c src/main.c", project.dir);
  assert.deepEqual(feedback.summary.parsers, ["generic"]);
  assert.equal(feedback.summary.status, "parsed");
  const lines = [...run.output.matchAll(/^src\/main\.c:(\d+):(\d+): error: (.*)$/gm)].map(
    (m) => `${m[1]}:${m[2]} ${m[3]}`,
  );
  assert.ok(lines.length >= 2);
  assert.deepEqual(
    feedback.findings.map((f) => `${f.line}:${f.column} ${f.message}`),
    lines,
  );
  assert.ok(feedback.findings.every((f) => f.file === "src/main.c" && f.kind === "compile-error"));
});

test("an uncaught Node.js exception points at the first frame in the project", async () => {
  const run = await runTool(process.execPath, ["src/app.mjs"], { cwd: project.dir });
  assert.equal(run.exitCode, 1);
  const feedback = compactRun(run, "node src/app.mjs", project.dir);
  assert.equal(feedback.findings.length, 1);
  assert.equal(feedback.findings[0]?.message, "SyntaxError: bad config in config.json");
  assert.equal(feedback.findings[0]?.file, "src/load.mjs");
  assert.equal(feedback.findings[0]?.line, 2);
});

test("a Python traceback points at the innermost frame in the project", async () => {
  const run = await runTool("python3", ["tool.py"], { cwd: project.dir });
  assert.equal(run.exitCode, 1);
  const feedback = compactRun(run, "python3 tool.py", project.dir);
  assert.equal(feedback.findings.length, 1);
  assert.match(feedback.findings[0]?.message ?? "", /^ValueError: invalid literal for int\(\)/);
  assert.equal(feedback.findings[0]?.file, "tool.py");
  assert.equal(feedback.findings[0]?.line, 2);
});
