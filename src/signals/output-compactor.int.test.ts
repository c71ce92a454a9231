// The compactor on real runs: what changed between two attempts, a fingerprint that
// survives line shifts and a different temp dir, detection behind `npm test`, and bounded
// memory on a long stream.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { test } from "node:test";
import { compactOutput, createOutputCompactor } from "./index.ts";

function lines(n: number): string {
  return Array.from({ length: n }, (_, i) => `line ${i + 1} of a long log`).join("\n");
}

import { bin, createTempProject, runTool } from "./parsers/tool-run.test-support.ts";

const source =
  "export const add = (a, b) => a + b;\nexport const mul = (a, b) => a + b;\nexport const neg = (a) => a;\n";

function suite(shift = 0) {
  return [
    ...Array.from({ length: shift }, () => "// moved down"),
    'import assert from "node:assert/strict";',
    'import { test } from "node:test";',
    'import { add, mul, neg } from "./math.js";',
    'test("add", () => assert.equal(add(2, 2), 5));',
    'test("mul", () => assert.equal(mul(2, 3), 6));',
    'test("neg", () => assert.equal(neg(2), -2));',
    'test("zero", () => assert.equal(add(0, 0), 0));',
    "",
  ].join("\n");
}

async function runNodeTest(dir: string) {
  const run = await runTool(process.execPath, ["--test", "--test-reporter=spec", "test/"], { cwd: dir });
  return { output: run.output, exitCode: run.exitCode };
}

test("a second attempt is compared with the first: fixed, new and still failing, by name", async () => {
  const project = createTempProject("compare", {
    "package.json": '{"type":"module"}\n',
    "test/math.js": source,
    "test/math.test.js": suite(),
  });
  try {
    const first = await runNodeTest(project.dir);
    const before = compactOutput(first.output, {
      command: "node --test",
      cwd: project.dir,
      exitCode: first.exitCode,
    });
    assert.deepEqual(before.findings.map((f) => f.test).sort(), ["add", "mul", "neg"]);
    // Fix mul and neg, break zero.
    writeFileSync(
      project.path("test/math.js"),
      source
        .replace("a + b;\nexport const neg", "a * b;\nexport const neg")
        .replace("(a) => a;", "(a) => -a;")
        .replace(
          "export const add = (a, b) => a + b;",
          "export const add = (a, b) => a + b + (a === 0 ? 1 : 0);",
        ),
    );
    const second = await runNodeTest(project.dir);
    const after = compactOutput(second.output, {
      command: "node --test",
      cwd: project.dir,
      previous: before,
    });
    assert.match(after.text, /Since the previous run: 2 fixed, 1 new, 1 still failing/);
    assert.match(after.text, /fixed: (mul; neg|neg; mul)/);
    assert.match(after.text, /new: zero/);
    assert.notEqual(after.fingerprint, before.fingerprint);
  } finally {
    project.dispose();
  }
});

test("the same failures give the same fingerprint after a line shift, in another temp dir", async () => {
  const a = createTempProject("fp-a", {
    "package.json": '{"type":"module"}\n',
    "test/math.js": source,
    "test/math.test.js": suite(),
  });
  const b = createTempProject("fp-b", {
    "package.json": '{"type":"module"}\n',
    "test/math.js": `// a header comment\n\n${source}`,
    "test/math.test.js": suite(4),
  });
  try {
    const [ra, rb] = await Promise.all([runNodeTest(a.dir), runNodeTest(b.dir)]);
    // No cwd given: absolute temp paths stay in the findings and still must not matter.
    const fa = compactOutput(ra.output, { command: "node --test" });
    const fb = compactOutput(rb.output, { command: "node --test" });
    assert.notDeepEqual(
      fa.findings.map((f) => f.line),
      fb.findings.map((f) => f.line),
    );
    assert.notEqual(fa.findings[0]?.file, fb.findings[0]?.file);
    assert.equal(fa.fingerprint, fb.fingerprint);
    assert.match(fa.fingerprint, /^[0-9a-f]{16}$/);
  } finally {
    a.dispose();
    b.dispose();
  }
});

test("behind `npm test`, the failures are still found and attributed to the runner", async () => {
  const project = createTempProject("npm", {
    "package.json": JSON.stringify({
      name: "npm-fixture",
      scripts: { test: `${bin("mocha")} --reporter spec` },
    }),
    "test/a.spec.js":
      'const assert = require("node:assert");\nit("works", () => assert.strictEqual(1, 2));\n',
  });
  try {
    const run = await runTool("npm", ["test"], { cwd: project.dir });
    assert.notEqual(run.exitCode, 0);
    const feedback = compactOutput(run.output, {
      command: "npm test",
      cwd: project.dir,
      exitCode: run.exitCode,
    });
    assert.deepEqual(feedback.summary.parsers, ["mocha"]);
    assert.equal(feedback.findings[0]?.test, "works");
    assert.equal(feedback.findings[0]?.file, "test/a.spec.js");
  } finally {
    project.dispose();
  }
});

test("a long stream keeps memory bounded", () => {
  // Kept whole, 32 MB of output would take more than 64 MB of heap as JS strings.
  const chunk = Buffer.from(`${lines(4000)}\n`);
  const stream = createOutputCompactor();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  let i = 0;
  for (let sent = 0; sent < 32 * 1024 * 1024; sent += chunk.length) {
    stream.push(chunk);
    if (++i % 32 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  const feedback = stream.finish(0);
  assert.match(feedback.text, /\d{6,} lines/, "the total line count is reported");
  assert.ok(peak - before < 24 * 1024 * 1024, `heap grew by ${(peak - before) / 1e6} MB for 32 MB of output`);
});

test("one log from two tools is read by both parsers", async () => {
  const project = createTempProject("two-tools", {
    "package.json": '{"type":"module"}\n',
    "test/math.js": source,
    "test/math.test.js": suite(),
    "test_calc.py": "def test_sub():\n    assert 3 - 1 == 1\n",
  });
  try {
    const command =
      "python3 -m pytest -q -p no:cacheprovider test_calc.py; node --test --test-reporter=spec test/";
    const run = await runTool("sh", ["-c", command], {
      cwd: project.dir,
      env: { PYTEST_DISABLE_PLUGIN_AUTOLOAD: "1" },
    });
    const feedback = compactOutput(run.output, { command, cwd: project.dir, exitCode: run.exitCode });
    assert.deepEqual(feedback.summary.parsers, ["node-test", "pytest"]);
    assert.deepEqual(feedback.findings.map((f) => `${f.source} ${f.test}`).sort(), [
      "node-test add",
      "node-test mul",
      "node-test neg",
      "pytest test_calc.py::test_sub",
    ]);
    assert.equal(feedback.summary.failed, 4);
  } finally {
    project.dispose();
  }
});
