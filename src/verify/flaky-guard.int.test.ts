// The flaky guard with the real node:test runner: a test that passes on every other run (it
// counts its runs in a file outside the project, which the process backend lets it reach) is
// green in one clean-room run and red in the next. With --confirm 0 the fix is "verified" on
// that one green run; with the default confirming run it is refused and the test named.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parseVerifierSpec } from "./parse-verifier-spec.ts";
import { verifyCandidate } from "./verify-candidate.ts";
import { createWitnessedVerifier } from "./witnessed-verifier.ts";

const scratch = mkdtempSync(join(tmpdir(), "closedloop-flaky-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const counter = join(scratch, "runs");
const workspace = join(scratch, "project");
mkdirSync(join(workspace, "test"), { recursive: true });
writeFileSync(join(workspace, "calc.js"), "exports.sum = (a, b) => a - b;\n");
writeFileSync(
  join(workspace, "test/calc.test.js"),
  [
    'const assert = require("node:assert");',
    'const fs = require("node:fs");',
    'const { test } = require("node:test");',
    'const { sum } = require("../calc.js");',
    `const file = ${JSON.stringify(counter)};`,
    'const runs = Number(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "0") + 1;',
    "fs.writeFileSync(file, String(runs));",
    'test("sum adds", () => assert.strictEqual(sum(1, 2), 3));',
    'test("flip passes on odd runs", () => assert.strictEqual(runs % 2, 1));',
    "",
  ].join("\n"),
);
const patch = [
  "diff --git a/calc.js b/calc.js",
  "--- a/calc.js",
  "+++ b/calc.js",
  "@@ -1 +1 @@",
  "-exports.sum = (a, b) => a - b;",
  "+exports.sum = (a, b) => a + b;",
  "",
].join("\n");
const spec = parseVerifierSpec({ verify: ["node --test test/"], protect: [] });
const witnessWith = (confirm: number) =>
  createWitnessedVerifier(
    (p, previous) =>
      verifyCandidate({
        spec,
        workspace,
        patch: p,
        sandboxPolicy: { backend: "process", quiet: true },
        ...(previous ? { previous } : {}),
      }),
    { confirm },
  );

test("without a confirming run, one lucky green run of a flaky test is taken as verified", async () => {
  writeFileSync(counter, "1"); // baseline is run 2 (flip fails), the candidate run 3 (flip passes)
  const witness = witnessWith(0);
  assert.deepEqual((await witness.baseline()).census.commands[0]!.failing, [
    "flip passes on odd runs",
    "sum adds",
  ]);
  const result = await witness.verify(patch);
  assert.equal(result.verdict, "pass", "the cheat is real: the flaky test looks fixed");
});

test("a confirming clean-room run catches the flip: not verified, the flaky test named", async () => {
  writeFileSync(counter, "0"); // baseline runs 1 and 2, the candidate runs 3 and 4
  const witness = witnessWith(1);
  const baseline = await witness.baseline();
  assert.deepEqual(baseline.flaky, ["flip passes on odd runs"], "it flipped between the two baseline runs");
  assert.match(baseline.result.text, /flaky at baseline .*flip passes on odd runs/);
  const result = await witness.verify(patch);
  assert.equal(result.verdict, "fail");
  assert.deepEqual(result.witness?.flaky, ["flip passes on odd runs"]);
  assert.match(result.text, /flaky: "flip passes on odd runs" changed status/);
  const sum = result.witness?.failToPass.find((t) => t.id === "sum adds");
  assert.deepEqual(
    sum,
    { id: "sum adds", before: "fail", after: "pass" },
    "the real fix still shows as fixed",
  );
});
