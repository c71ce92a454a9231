import assert from "node:assert/strict";
import { test } from "node:test";
import { UserError } from "../util/index.ts";
import { parseVerifierSpec } from "./parse-verifier-spec.ts";

test("a spec keeps commands, hidden checks, protected globs and the timeout", () => {
  const spec = parseVerifierSpec({
    verify: [" npm test ", "npx tsc --noEmit"],
    protect: ["./test/**", "test/**", "package.json"],
    hidden: ["node judge.js"],
    timeoutMs: 30_000,
  });
  assert.deepEqual(spec, {
    commands: ["npm test", "npx tsc --noEmit"],
    protect: ["test/**", "package.json"],
    hidden: ["node judge.js"],
    timeoutMs: 30_000,
  });
});

test("a spec without any verifier command is a user error that says how to give one", () => {
  assert.throws(
    () => parseVerifierSpec({ verify: [] }),
    (error: unknown) => UserError.isInstance(error) && /--verify/.test(error.message),
  );
});

test("empty commands, absolute or escaping globs and bad timeouts are refused", () => {
  for (const input of [
    { verify: ["  "] },
    { verify: ["npm test"], hidden: [""] },
    { verify: ["npm test"], protect: ["/etc/passwd"] },
    { verify: ["npm test"], protect: ["../outside/**"] },
    { verify: ["npm test"], protect: ["**"] },
    { verify: ["npm test"], timeoutMs: -1 },
    { verify: ["npm test"], timeoutMs: Number.NaN },
  ])
    assert.throws(() => parseVerifierSpec(input), UserError, JSON.stringify(input));
});
