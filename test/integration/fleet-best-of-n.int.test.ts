// Best-of-n end to end: `closedloop run --attempts 3` over three scripted models (test doubles
// for the LLM), real local sandboxes and `node --test`. Only attempt 2 fixes both bugs; the
// verifier, not the models' "done", picks it, and the report lists every attempt.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import {
  copyDemoProject,
  createScratch,
  demoTask,
  done,
  eventsOf,
  fixDiscount,
  fixTotal,
  runCli,
  writeScript,
} from "./fleet-fixture.ts";

const scratch = createScratch("fleet-best-of");
after(() => scratch.remove());

test("best-of-3 where only attempt 2 is verified hands over attempt 2 and reports all three", () => {
  const project = copyDemoProject(join(scratch.dir, "project"));
  const runs = join(scratch.dir, "runs");
  const models = [
    writeScript(scratch.dir, "claims-done", [done, done]),
    writeScript(scratch.dir, "fixes-both", [fixTotal, fixDiscount, done]),
    writeScript(scratch.dir, "fixes-one", [fixTotal, done]),
  ];
  const r = runCli([
    "run",
    demoTask,
    "--verify",
    "node --test test/",
    "--protect",
    "test/**",
    "--attempts",
    "3",
    ...models.flatMap((m) => ["--model", m]),
    "--max-steps",
    "4",
    "--workspace",
    project,
    "--runs-dir",
    runs,
    "--plain",
  ]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /✓ verified — attempt 2/);

  const [group] = readdirSync(join(runs, "best-of"));
  const report = JSON.parse(readFileSync(join(runs, "best-of", group!, "report.json"), "utf8"));
  assert.equal(report.verdict, "verified");
  assert.equal(report.picked, `${group}.a2`);
  assert.equal(report.attempts.length, 3);
  assert.deepEqual(
    report.attempts.map((a: { attempt: number; model: string; verified: boolean }) => [
      a.attempt,
      a.model,
      a.verified,
    ]),
    [
      [1, models[0], false],
      [2, models[1], true],
      [3, models[2], false],
    ],
  );
  for (const a of report.attempts) {
    assert.equal(typeof a.steps, "number");
    assert.equal(typeof a.costUsd, "number");
    assert.ok(a.outcome);
  }
  // Each attempt was a real run in its own sandbox with its own trajectory.
  for (const n of [1, 2, 3]) assert.equal(eventsOf(runs, `${group}.a${n}`)[0]?.type, "run.started");
  // The losers' done claims were refused by the verifier, not believed.
  assert.ok(
    eventsOf(runs, `${group}.a1`).some((e) => e.type === "done.claimed" && e.accepted === false),
    "attempt 1 claimed done and was refused",
  );

  const patch = readFileSync(report.patch, "utf8");
  const pristine = copyDemoProject(join(scratch.dir, "pristine"));
  execFileSync("git", ["apply", "-"], { cwd: pristine, input: patch });
  const tests = spawnSync(process.execPath, ["--test", "test/"], { cwd: pristine, encoding: "utf8" });
  assert.equal(tests.status, 0, "the picked patch makes the tests pass");
});
