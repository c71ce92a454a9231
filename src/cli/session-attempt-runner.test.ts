// The run an attempt job starts: what a batch record or `run --attempts` asked for reaches
// the verifier spec the loop gets (allowEdit was once dropped on the way).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AttemptJob } from "../fleet/index.ts";
import { launchFor } from "./session-attempt-runner.ts";

const job: AttemptJob = {
  instanceId: "t",
  attempt: 1,
  runId: "t.a1",
  outDir: "/tmp/out",
  runsDir: "/tmp/out/runs",
  task: "fix it",
  workspace: "/tmp/ws",
  verify: ["npm test"],
  protect: ["test/**"],
  hidden: [],
  budgets: { maxSteps: 5 },
  sandbox: "local",
  allowNet: [],
};

test("a job's allowEdit and protect reach the verifier spec", () => {
  const spec = launchFor({ ...job, allowEdit: ["package.json"], model: "scripted:/tmp/x.json" }).spec;
  assert.deepEqual(spec.allowEdit, ["package.json"]);
  assert.deepEqual(spec.protect.includes("test/**"), true);
});

test("without allowEdit the spec has none", () => {
  assert.equal(launchFor({ ...job, model: "scripted:/tmp/x.json" }).spec.allowEdit, undefined);
});
