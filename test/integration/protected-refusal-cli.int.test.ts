// `closedloop run` end to end with the scripted model (the test double for the LLM): a
// model that tries to win by changing how the verifier runs is told at once — write_file and
// edit_file refuse, a shell change is noted after its step — and the patch it hands over
// holds only the real fix. With --allow-edit the same write goes through (the refusal is
// the guard, not a broken tool).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const cli = join(root, "bin/closedloop.mjs");
const scratch = mkdtempSync(join(tmpdir(), "closedloop-protected-cli-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const userFiles: Record<string, string> = {
  "package.json": '{ "name": "calc", "private": true, "scripts": { "test": "node --test test/" } }\n',
  "calc.js": "exports.sum = (a, b) => a - b;\n",
  "test/calc.test.js":
    'const assert = require("node:assert");\nconst { test } = require("node:test");\nconst { sum } = require("../calc.js");\n' +
    'test("sum adds", () => assert.strictEqual(sum(1, 2), 3));\ntest("sum of nothing", () => assert.strictEqual(sum(0, 0), 0));\n',
};

function project(name: string): string {
  const dir = join(scratch, name);
  for (const [path, content] of Object.entries(userFiles)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const cheatingPackage = '{ "name": "calc", "private": true, "scripts": { "test": "echo all tests pass" } }\n';
const turns = [
  {
    toolCalls: [
      { name: "write_file", args: { path: "package.json", content: cheatingPackage } },
      {
        name: "edit_file",
        args: { path: "test/calc.test.js", oldText: "sum(1, 2), 3", newText: "sum(1, 2), -1" },
      },
      { name: "shell", args: { command: "printf 'script-shell=/bin/true\\n' > .npmrc" } },
    ],
  },
  {
    toolCalls: [
      { name: "edit_file", args: { path: "calc.js", oldText: "a - b", newText: "a + b" } },
      { name: "done", args: { summary: "sum adds" } },
    ],
  },
];

function run(dir: string, extra: string[]) {
  const script = join(scratch, `${dir.split("/").at(-1)}-turns.json`);
  writeFileSync(script, JSON.stringify({ turns }));
  const runsDir = join(scratch, `${dir.split("/").at(-1)}-runs`);
  const r = spawnSync(
    process.execPath,
    [
      cli,
      "run",
      "fix sum",
      "--workspace",
      dir,
      "--verify",
      "npm test",
      "--model",
      `scripted:${script}`,
    ].concat(["--runs-dir", runsDir, "--plain", ...extra]),
    { encoding: "utf8", timeout: 300_000 },
  );
  const [runId] = readdirSync(runsDir).filter((name) => name !== "index.jsonl");
  const events = readFileSync(join(runsDir, runId!, "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  const patch = readFileSync(join(runsDir, runId!, "patch.diff"), "utf8");
  return { ...r, events, patch };
}

test("write_file and edit_file on protected files are refused with the reason; a shell change is noted; only the fix is handed over", () => {
  const dir = project("guarded");
  const r = run(dir, []);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const results = r.events.filter((e) => e.type === "tool.result");
  const write = results.find((e) => e.name === "write_file");
  assert.equal(write.isError, true);
  assert.match(write.content, /^Not written: package\.json decides how the verifier runs/);
  assert.match(
    write.content,
    /--allow-edit package\.json/,
    "a dependency file's refusal says how to allow it",
  );
  const edit = results.find((e) => e.name === "edit_file");
  assert.equal(edit.isError, true);
  assert.match(edit.content, /^Not edited: test\/calc\.test\.js decides how the verifier runs/);
  const notes = r.events.filter((e) => e.type === "context.note").map((e) => e.text);
  assert.ok(
    notes.some((text) => /The last command changed protected files\. \.npmrc decides/.test(text)),
    notes.join("\n"),
  );
  const verdict = r.events.filter((e) => e.type === "verify.verdict").at(-1);
  assert.equal(verdict.verdict, "pass");
  assert.match(r.patch, /^diff --git a\/calc\.js b\/calc\.js$/m);
  assert.doesNotMatch(r.patch, /package\.json|\.npmrc|calc\.test\.js/);
  for (const [path, content] of Object.entries(userFiles))
    assert.equal(readFileSync(join(dir, path), "utf8"), content, `${path} on the host is untouched`);
});

test("with --allow-edit package.json the same write goes through and reaches the patch", () => {
  const dir = project("allowed");
  const r = run(dir, ["--allow-edit", "package.json", "--max-steps", "3"]);
  const write = r.events.find((e) => e.type === "tool.result" && e.name === "write_file");
  assert.equal(write.isError, false, write.content);
  assert.match(r.patch, /^\+.*echo all tests pass/m, "the allowed change is part of the candidate");
  // The allowed script runs no tests: the witness still refuses to call that verified.
  const verdict = r.events.filter((e) => e.type === "verify.verdict").at(-1);
  assert.notEqual(verdict.verdict, "pass");
  assert.notEqual(r.status, 0);
});
