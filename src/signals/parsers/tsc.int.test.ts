// tsc's --pretty output (code frames, colours) compared with its plain one-line-per-error
// form, which is tsc's own machine-readable output.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bin, compactRun, runTool, useTempProject } from "./tool-run.test-support.ts";

const project = useTempProject("tsc", {
  "tsconfig.json":
    '{"compilerOptions":{"strict":true,"noEmit":true,"target":"ES2022","module":"NodeNext","types":[]},"include":["src"]}\n',
  "src/a.ts": 'export const x: number = "s";\nexport function f(a: string) {\n  return a.foo;\n}\nf(1);\n',
  "src/b.ts":
    'import { missing } from "./a.js";\nexport const y = missing + undeclared;\nexport const z: { a: number } = { a: 1, b: 2 };\n',
});

function plainErrors(output: string) {
  return [...output.matchAll(/^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/gm)]
    .map((m) => `${m[1]}:${m[2]}:${m[3]} ${m[4]}`)
    .sort();
}

test("tsc --pretty errors match the plain output of the same compile, code frames kept as excerpts", async () => {
  const pretty = await runTool(bin("tsc"), ["-p", ".", "--pretty", "true"], { cwd: project.dir });
  const plain = await runTool(bin("tsc"), ["-p", ".", "--pretty", "false"], { cwd: project.dir });
  assert.equal(pretty.exitCode, 2);
  const expected = plainErrors(plain.output);
  assert.ok(expected.length >= 5, `tsc reported ${expected.length} errors`);
  for (const run of [pretty, plain]) {
    const feedback = compactRun(run, "npx tsc -p .", project.dir);
    assert.deepEqual(feedback.summary.parsers, ["tsc"]);
    assert.equal(feedback.summary.errors, expected.length);
    const actual = feedback.findings
      .map((f) => `${f.file}:${f.line}:${f.column} ${f.message.split(":")[0]}`)
      .sort();
    assert.deepEqual(actual, expected);
  }
  const prettyFeedback = compactRun(pretty, "tsc", project.dir);
  const foo = prettyFeedback.findings.find((f) => f.message.startsWith("TS2339"));
  assert.match(foo?.excerpt ?? "", /return a\.foo/, "the pretty code frame becomes the excerpt");
  assert.ok(!prettyFeedback.text.includes("\u001b["), "no ANSI codes reach the model");
});
