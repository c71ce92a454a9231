import assert from "node:assert/strict";
import { test } from "node:test";
import { UserError } from "../util/index.ts";
import { browserCheckLabel, parseBrowserCheckFlags, parseBrowserChecks } from "./parse-browser-checks.ts";
import { parseVerifierSpec } from "./parse-verifier-spec.ts";

test("a --browser-check flag gives port, path and the serve command split at the first '='", () => {
  assert.deepEqual(
    parseBrowserCheckFlags([
      { flag: "browser-check", value: "3000=node server.js" },
      { flag: "browser-check", value: "3001/=node server.js" },
      { flag: "browser-check", value: "8080/todo=PORT=8080 npm start" },
    ]),
    [
      { serve: "node server.js", port: 3000 },
      { serve: "node server.js", port: 3001 },
      { serve: "PORT=8080 npm start", port: 8080, path: "/todo" },
    ],
  );
});

test("each --expect-text belongs to the --browser-check before it", () => {
  const checks = parseBrowserCheckFlags([
    { flag: "browser-check", value: "3000=node a.js" },
    { flag: "expect-text", value: "Hello" },
    { flag: "browser-check", value: "4000/about=node b.js" },
    { flag: "browser-check", value: "5000=node c.js" },
    { flag: "expect-text", value: "About us" },
  ]);
  assert.deepEqual(
    checks.map((c) => c.expectText),
    ["Hello", undefined, "About us"],
  );
  assert.equal(checks[1]?.path, "/about");
});

test("an --expect-text without a check before it, or two for one check, is a user error", () => {
  assert.throws(
    () => parseBrowserCheckFlags([{ flag: "expect-text", value: "Hi" }]),
    /before any --browser-check/,
  );
  assert.throws(
    () =>
      parseBrowserCheckFlags([
        { flag: "browser-check", value: "3000=node a.js" },
        { flag: "expect-text", value: "A" },
        { flag: "expect-text", value: "B" },
      ]),
    UserError,
  );
});

test("malformed --browser-check values are refused with the shape to write", () => {
  for (const value of [
    "node server.js",
    "3000",
    "3000=",
    "=node a.js",
    "localhost:3000=node a.js",
    "abc=node a.js",
  ])
    assert.throws(
      () => parseBrowserCheckFlags([{ flag: "browser-check", value }]),
      (error: unknown) => UserError.isInstance(error) && /PORT\[\/path\]=SERVE_COMMAND/.test(error.message),
      value,
    );
});

test("config browserChecks are validated: serve, port range, path and unknown keys", () => {
  assert.deepEqual(
    parseBrowserChecks([{ serve: " node s.js ", port: 3000, path: "todo", expectText: "Hi" }]),
    [{ serve: "node s.js", port: 3000, path: "/todo", expectText: "Hi" }],
  );
  assert.deepEqual(parseBrowserChecks(undefined), []);
  for (const bad of [
    "node s.js",
    [{ port: 3000 }],
    [{ serve: "", port: 3000 }],
    [{ serve: "node s.js" }],
    [{ serve: "node s.js", port: 0 }],
    [{ serve: "node s.js", port: 70000 }],
    [{ serve: "node s.js", port: 3000.5 }],
    [{ serve: "node s.js", port: "3000" }],
    [{ serve: "node s.js", port: 3000, path: "http://example.com/" }],
    [{ serve: "node s.js", port: 3000, expectedText: "Hi" }],
    [{ serve: "node s.js", port: 3000, expectText: "" }],
    [null],
  ])
    assert.throws(() => parseBrowserChecks(bad), UserError, JSON.stringify(bad));
});

test("a verifier spec may hold browser checks alone, but not nothing at all", () => {
  const spec = parseVerifierSpec({ verify: [], browserChecks: [{ serve: "node s.js", port: 3000 }] });
  assert.deepEqual(spec.commands, []);
  assert.deepEqual(spec.browserChecks, [{ serve: "node s.js", port: 3000 }]);
  assert.equal(parseVerifierSpec({ verify: ["npm test"] }).browserChecks, undefined);
  assert.throws(
    () => parseVerifierSpec({ verify: [], browserChecks: [] }),
    (error: unknown) => UserError.isInstance(error) && /--browser-check/.test(error.message),
  );
});

test("a check is named by the sandbox URL it opens", () => {
  assert.equal(browserCheckLabel({ serve: "x", port: 3000 }), "browser check http://localhost:3000/");
  assert.equal(
    browserCheckLabel({ serve: "x", port: 8080, path: "/todo" }),
    "browser check http://localhost:8080/todo",
  );
});
