// ESLint 9 (flat config): the stylish formatter compared with `-f json` on the same files.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bin, compactRun, runTool, useTempProject } from "./tool-run.test-support.ts";

const project = useTempProject("eslint", {
  "package.json": '{"type":"module"}\n',
  "eslint.config.js":
    'export default [{ rules: { "no-unused-vars": "error", "no-undef": "error", eqeqeq: "warn" } }];\n',
  "src/a.js": "const unused = 1;\nfoo();\nexport const same = (a, b) => a == b;\n",
  "src/b.js": "export const ok = 1;\nbar(ok);\nconst alsoUnused = 2;\n",
  "src/syntax.js": "export const = 3;\n",
});

interface EslintFile {
  filePath: string;
  messages: { line: number; column: number; severity: number; message: string; ruleId: string | null }[];
}

const key = (file: string, line: number | undefined, column: number | undefined, severity: string) =>
  `${file}:${line}:${column} ${severity}`;

test("stylish and JSON output give the same problems at the same places", async () => {
  const stylish = await runTool(bin("eslint"), ["src"], { cwd: project.dir });
  const json = await runTool(bin("eslint"), ["-f", "json", "src"], { cwd: project.dir });
  assert.equal(stylish.exitCode, 1);
  const report = JSON.parse(json.stdout) as EslintFile[];
  const expected = report
    .flatMap((f) =>
      f.messages.map((m) =>
        key(
          f.filePath.slice(project.dir.length + 1),
          m.line,
          m.column,
          m.severity === 2 ? "error" : "warning",
        ),
      ),
    )
    .sort();
  assert.ok(expected.length >= 5);
  for (const run of [stylish, json]) {
    const feedback = compactRun(run, "npx eslint src", project.dir);
    assert.deepEqual(feedback.summary.parsers, ["eslint"]);
    const actual = feedback.findings
      .map((f) => key(f.file ?? "", f.line, f.column, f.severity ?? "error"))
      .sort();
    assert.deepEqual(actual, expected);
    assert.equal(feedback.summary.errors, expected.filter((e) => e.endsWith("error")).length);
  }
  const parsed = compactRun(stylish, "eslint src", project.dir);
  assert.ok(parsed.findings.some((f) => f.message.includes("Parsing error")));
  assert.ok(parsed.findings.some((f) => f.message === "'foo' is not defined (no-undef)"));
});
