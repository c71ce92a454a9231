import assert from "node:assert/strict";
import { test } from "node:test";
import { parseTaskFile } from "./task-record.ts";

const ok = { instance_id: "a-1", workspace: "proj", task: "fix it", verify: ["npm test"] };
const line = (value: unknown) => JSON.stringify(value);

test("a good record is read with paths taken from the tasks file's folder", () => {
  const { tasks, problems } = parseTaskFile(`${line({ ...ok, max_steps: 5, max_time: "2m" })}\n`, "/base");
  assert.deepEqual(problems, []);
  assert.equal(tasks[0]!.workspace, "/base/proj");
  assert.equal(tasks[0]!.maxSteps, 5);
  assert.equal(tasks[0]!.maxTimeMs, 120_000);
  assert.deepEqual(tasks[0]!.verify, ["npm test"]);
});

test("each bad record is reported with its line number and the rest is kept", () => {
  const file = [
    line(ok),
    "{not json",
    line({ ...ok, instance_id: "b", workspace: undefined }),
    line({ ...ok, instance_id: "c", max_steps: -1 }),
    "",
    line({ ...ok, instance_id: "a-1" }),
    line({ ...ok, instance_id: "d e" }),
    line({ ...ok, instance_id: "f", colour: "red" }),
    line({
      ...ok,
      instance_id: "g",
      workspace: undefined,
      repo: "https://github.com/x/y",
      base_commit: "abc",
    }),
    line({ ...ok, instance_id: "h", workspace: undefined, repo: "/r" }),
    line({ ...ok, instance_id: "i", verify: [1] }),
    line([1, 2]),
    line({ ...ok, instance_id: "j" }),
  ].join("\n");
  const { tasks, problems } = parseTaskFile(file, "/base");
  assert.deepEqual(
    tasks.map((t) => t.instanceId),
    ["a-1", "j"],
  );
  assert.deepEqual(
    problems.map((p) => p.line),
    [2, 3, 4, 6, 7, 8, 9, 10, 11, 12],
  );
  const say = (n: number) => problems.find((p) => p.line === n)!.message;
  assert.match(say(2), /not valid JSON/);
  assert.match(say(3), /workspace .* or repo \+ base_commit is missing/);
  assert.match(say(4), /max_steps must be a positive whole number/);
  assert.match(say(6), /repeats line 1/);
  assert.match(say(7), /may use only letters/);
  assert.match(say(8), /unknown field colour/);
  assert.match(say(9), /no network/);
  assert.match(say(10), /repo needs base_commit/);
  assert.match(say(11), /verify must be a list/);
  assert.match(say(12), /JSON object/);
});

test("SWE-bench spellings are understood: problem_statement and FAIL_TO_PASS as JSON text", () => {
  const record = {
    instance_id: "django__django-11099",
    repo: "file:///repos/django",
    base_commit: "deadbeef",
    problem_statement: "UsernameValidator allows a trailing newline",
    FAIL_TO_PASS: '["test_ascii_validator"]',
    PASS_TO_PASS: ["test_unicode_validator"],
    verify: ["./runtests.py auth_tests"],
  };
  const { tasks, problems } = parseTaskFile(line(record), "/base");
  assert.deepEqual(problems, []);
  assert.equal(tasks[0]!.task, record.problem_statement);
  assert.equal(tasks[0]!.repo, "file:///repos/django");
  assert.deepEqual(tasks[0]!.failToPass, ["test_ascii_validator"]);
  assert.deepEqual(tasks[0]!.passToPass, ["test_unicode_validator"]);
});
