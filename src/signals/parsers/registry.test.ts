import assert from "node:assert/strict";
import { test } from "node:test";
import { isScriptEchoLine, parsersForCommand } from "./registry.ts";

test("commands name their tool directly, through npx, paths and python -m", () => {
  assert.deepEqual(parsersForCommand("npx tsc --noEmit"), ["tsc"]);
  assert.deepEqual(parsersForCommand("./node_modules/.bin/vitest run"), ["vitest"]);
  assert.deepEqual(parsersForCommand("python3 -m pytest -q tests"), ["pytest"]);
  assert.deepEqual(parsersForCommand("go test ./..."), ["go"]);
  assert.deepEqual(parsersForCommand("cargo test --offline"), ["cargo"]);
  // Node 20 writes TAP when stdout is not a terminal, spec otherwise: both readers apply.
  assert.deepEqual(parsersForCommand("node --import tsx --test src/a.test.ts"), ["node-test", "tap"]);
  assert.deepEqual(parsersForCommand("npx tape test/*.js | cat"), ["tap"]);
  assert.deepEqual(parsersForCommand("eslint . && jest --ci"), ["eslint", "jest"]);
});

test("npm test names nothing itself, but the script line npm echoes does", () => {
  assert.deepEqual(parsersForCommand("npm test"), []);
  assert.equal(isScriptEchoLine("> app@1.0.0 test"), false);
  assert.equal(isScriptEchoLine("> mocha --reporter spec"), true);
  assert.deepEqual(parsersForCommand("npm test", "mocha --reporter spec"), ["mocha"]);
});

test("words that merely contain a tool's name do not match it", () => {
  assert.deepEqual(parsersForCommand("echo gotest; ls jester"), []);
});
