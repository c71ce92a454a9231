import assert from "node:assert/strict";
import { test } from "node:test";
import { compactOutput } from "../signals/index.ts";
import { shellQuote, UserError } from "../util/index.ts";
import { exitCodeOf, formatCheckJson, parseCheckArgs } from "./check-command.ts";

test("flags before -- are options and everything after is the command", () => {
  assert.deepEqual(parseCheckArgs(["--json", "--sandbox", "process", "--", "npm", "test"]), {
    json: true,
    backend: "process",
    budgetTokens: 2000,
    command: "npm test",
  });
});

test("the local sandbox and a 2000-token budget are the defaults", () => {
  const options = parseCheckArgs(["--", "npx tsc"]);
  assert.notEqual(options, "help");
  if (options === "help") return;
  assert.equal(options.backend, "local");
  assert.equal(options.budgetTokens, 2000);
  assert.equal(options.json, false);
  assert.equal(options.command, "npx tsc", "a single argument is a shell command line, kept as is");
});

test("several words after -- are quoted so they reach the command unchanged", () => {
  const options = parseCheckArgs(["--", "node", "-e", "console.log('a b')", "--flag"]);
  assert.notEqual(options, "help");
  if (options !== "help") assert.equal(options.command, `node -e 'console.log('\\''a b'\\'')' --flag`);
  assert.equal(shellQuote("plain-word_1.ts"), "plain-word_1.ts");
});

test("flags that follow -- belong to the command, not to check", () => {
  const options = parseCheckArgs(["--", "eslint", "--json"]);
  assert.notEqual(options, "help");
  if (options !== "help") {
    assert.equal(options.json, false);
    assert.equal(options.command, "eslint --json");
  }
});

test("bad usage is a user error that says what to do", () => {
  assert.throws(
    () => parseCheckArgs([]),
    (e) => UserError.isInstance(e) && /no command given/.test(e.message),
  );
  assert.throws(
    () => parseCheckArgs(["--sandbox", "docker", "--", "ls"]),
    (e) => UserError.isInstance(e) && /--sandbox local or --sandbox process/.test(e.message),
  );
  assert.throws(
    () => parseCheckArgs(["--budget", "ten", "--", "ls"]),
    (e) => UserError.isInstance(e) && e.exitCode === 2,
  );
  assert.throws(
    () => parseCheckArgs(["--verbose", "--", "ls"]),
    (e) =>
      UserError.isInstance(e) && /unknown flag --verbose \(see closedloop check --help\)/.test(e.message),
  );
  assert.equal(parseCheckArgs(["--help"]), "help");
});

test("exit codes pass through; signals and timeouts map the way a shell reports them", () => {
  assert.equal(exitCodeOf({ exitCode: 3, signal: null, timedOut: false }), 3);
  assert.equal(exitCodeOf({ exitCode: null, signal: "SIGKILL", timedOut: false }), 137);
  assert.equal(exitCodeOf({ exitCode: null, signal: "SIGKILL", timedOut: true }), 124);
});

test("--json output carries the raw text only when nothing was parsed", () => {
  const parsed = JSON.parse(formatCheckJson(compactOutput("src/a.c:3:5: error: missing ';'\n"))) as object;
  assert.deepEqual(Object.keys(parsed).sort(), ["findings", "fingerprint", "summary"]);
  const unparsed = JSON.parse(formatCheckJson(compactOutput("segmentation fault\n", { exitCode: 139 }))) as {
    text: string;
    summary: { status: string };
  };
  assert.equal(unparsed.summary.status, "unparsed");
  assert.match(unparsed.text, /segmentation fault/);
});
