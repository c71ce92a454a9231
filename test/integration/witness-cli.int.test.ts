// `closedloop run` and the baseline witness, end to end through the CLI: a verifier that is
// already green on the user's tree is refused before any model call (exit 2, the fix named),
// unless --fail-to-pass names what must change; a verified run's report.json lists each
// fail-to-pass and pass-to-pass test with its status before and after.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const cli = join(root, "bin/closedloop.mjs");
const scratch = mkdtempSync(join(tmpdir(), "closedloop-witness-cli-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function project(name: string, source: string): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, "test"), { recursive: true });
  writeFileSync(join(dir, "calc.js"), source);
  writeFileSync(
    join(dir, "test/calc.test.js"),
    'const assert = require("node:assert");\nconst { test } = require("node:test");\nconst { sum } = require("../calc.js");\n' +
      'test("sum adds", () => assert.strictEqual(sum(1, 2), 3));\ntest("sum of nothing", () => assert.strictEqual(sum(0, 0), 0));\n',
  );
  return dir;
}

/** A scripted model (the test double for the LLM) that fixes sum and says done. */
function script(dir: string): string {
  const file = join(dir, "..", `${dirname(dir)}-turns.json`);
  writeFileSync(
    file,
    JSON.stringify({
      turns: [
        {
          toolCalls: [
            { name: "edit_file", args: { path: "calc.js", oldText: "a - b", newText: "a + b" } },
            { name: "done", args: { summary: "sum adds" } },
          ],
        },
      ],
    }),
  );
  return file;
}

function dirname(dir: string): string {
  return dir.split("/").at(-1)!;
}

function run(dir: string, extra: string[]) {
  const runsDir = join(dir, "..", `${dirname(dir)}-runs`);
  const r = spawnSync(
    process.execPath,
    [
      cli,
      "run",
      "fix sum",
      "--workspace",
      dir,
      "--verify",
      "node --test test/",
      "--model",
      `scripted:${script(dir)}`,
      "--runs-dir",
      runsDir,
      "--plain",
      ...extra,
    ],
    { encoding: "utf8", timeout: 300_000 },
  );
  return { ...r, runsDir };
}

test("a verifier already green at baseline is refused before any model call, with the fix named", () => {
  const dir = project("green", "exports.sum = (a, b) => a + b;\n");
  const r = run(dir, []);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /already passes on your tree/);
  assert.match(r.stderr, /--fail-to-pass NAME/);
  assert.match(r.stderr, /--hidden CMD/);
  assert.equal(existsSync(r.runsDir), false, "no run was started, so no model call was made");
});

test("a verified run's report.json lists fail-to-pass and pass-to-pass with their statuses", () => {
  const dir = project("red", "exports.sum = (a, b) => a - b;\n");
  const r = run(dir, []);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const [runId] = readdirSync(r.runsDir).filter((name) => name !== "index.jsonl");
  const report = JSON.parse(readFileSync(join(r.runsDir, runId!, "report.json"), "utf8"));
  assert.equal(report.verdict, "verified");
  assert.deepEqual(report.failToPass, [{ id: "sum adds", before: "fail", after: "pass" }]);
  assert.deepEqual(report.passToPass, [{ id: "sum of nothing", before: "pass", after: "pass" }]);
  const events = readFileSync(join(r.runsDir, runId!, "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
  const final = events.filter((e) => e.type === "verify.verdict").at(-1);
  assert.deepEqual(final.failToPass, report.failToPass, "the verify.verdict event carries the same witness");
});
