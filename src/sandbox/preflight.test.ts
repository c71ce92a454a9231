import assert from "node:assert/strict";
import { test } from "node:test";
import { SandboxUnavailableError } from "./errors.ts";
import { explainStartFailure, preflightLocal } from "./preflight.ts";

test("a machine without bubblewrap gets the install command and the explicit fallback", () => {
  assert.throws(
    () => preflightLocal({ path: "/nonexistent-dir" }),
    (error: unknown) =>
      error instanceof SandboxUnavailableError &&
      /apt-get install bubblewrap/.test(error.message) &&
      /--sandbox process/.test(error.message) &&
      error.exitCode === 2,
  );
});

test("on this machine the local backend's prerequisites are all present", () => {
  const tools = preflightLocal();
  assert.match(tools.bwrap, /bwrap$/);
  assert.match(tools.launcher, /cl-launch$/);
});

test("a start failure is explained in one line that names the fallback", () => {
  const message = explainStartFailure("bwrap: something odd happened\n");
  assert.match(message, /something odd happened/);
  assert.match(message, /--sandbox process/);
  assert.equal(message.includes("\n"), false);
});
