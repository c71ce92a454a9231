import assert from "node:assert/strict";
import { test } from "node:test";
import { UserError } from "./errors.ts";
import { parseDuration } from "./parse-duration.ts";

test("durations with units become milliseconds, and a bare number is seconds", () => {
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("2m"), 120_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("10"), 10_000);
});

test("text that is not a duration is a user error that shows the expected form", () => {
  for (const bad of ["", "s", "30x", "-1s", "30s garbage", "ms30"]) {
    assert.throws(
      () => parseDuration(bad, "--timeout"),
      (e: unknown) => {
        assert.ok(UserError.isInstance(e));
        assert.match((e as Error).message, /^--timeout '.*' is not a duration; write e\.g\. 30s/);
        return true;
      },
    );
  }
});
