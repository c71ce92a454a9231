import assert from "node:assert/strict";
import { test } from "node:test";
import { parseHiddenCheck, stdoutMatches } from "./hidden-check.ts";
import { parseVerifierSpec } from "./parse-verifier-spec.ts";

test("a hidden check names its expected stdout after the last ' ==> '", () => {
  assert.deepEqual(parseHiddenCheck("node cli.js 2 3 ==> 5"), {
    command: "node cli.js 2 3",
    expectStdout: "5",
  });
  assert.deepEqual(parseHiddenCheck("echo 'a ==> b' ==> a ==> b"), {
    command: "echo 'a ==> b' ==> a",
    expectStdout: "b",
  });
  assert.deepEqual(parseHiddenCheck("node cli.js 2 3 | grep -qx 5"), {
    command: "node cli.js 2 3 | grep -qx 5",
  });
});

test("stdout must equal the expected text, trailing whitespace aside", () => {
  const check = parseHiddenCheck("node cli.js ==> 5");
  assert.equal(stdoutMatches(check, "5\n"), true);
  assert.equal(stdoutMatches(check, "5 \n\n"), true);
  assert.equal(stdoutMatches(check, "15\n"), false);
  assert.equal(stdoutMatches(check, "5\n6\n"), false);
  assert.equal(stdoutMatches(parseHiddenCheck("true"), "anything"), true);
});

test("an expected output without a command is a spec error", () => {
  assert.throws(
    () => parseVerifierSpec({ verify: ["npm test"], hidden: [" ==> 5"] }),
    /hidden check 1 has an expected output but no command/,
  );
});
