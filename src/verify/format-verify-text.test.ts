import assert from "node:assert/strict";
import { test } from "node:test";
import { compactOutput } from "../signals/index.ts";
import { formatVerifyText } from "./format-verify-text.ts";
import type { CommandVerdict } from "./types.ts";

function verdict(command: string, hidden: boolean, exitCode: number, output: string): CommandVerdict {
  return {
    command,
    hidden,
    exitCode,
    signal: null,
    timedOut: false,
    durationMs: 120,
    feedback: compactOutput(output, { command, exitCode }),
    passed: exitCode === 0,
    ranNoTests: false,
  };
}

test("a failing hidden check shows neither its command nor its output", () => {
  const text = formatVerifyText({
    verdict: "fail",
    commands: [
      verdict("npm test", false, 0, "all good"),
      verdict("node judge.js --secret", true, 1, "JUDGE SAYS: expected 42"),
    ],
    failingCount: 1,
    restoredProtected: [],
    findings: [],
  });
  assert.match(text, /^Verifier: FAIL — 1 of 2 checks failed, 1 failure/);
  assert.match(text, /✓ npm test — exit code 0 · 120 ms/);
  assert.match(text, /✗ a hidden check failed/);
  assert.doesNotMatch(text, /judge|JUDGE|42/);
});

test("a failing visible check shows its compacted output; a passing one only its status line", () => {
  const text = formatVerifyText({
    verdict: "fail",
    commands: [verdict("make check", false, 2, "boom: widget.c broke"), verdict("true", false, 0, "noise")],
    failingCount: 1,
    restoredProtected: ["test/a.test.js"],
    findings: [],
  });
  assert.match(text, /✗ make check — exit code 2/);
  assert.match(text, /boom: widget\.c broke/);
  assert.doesNotMatch(text, /noise/);
  assert.match(text, /undone for this check: test\/a\.test\.js/);
});

test("an error verdict says the verifier could not run and why", () => {
  const text = formatVerifyText({
    verdict: "error",
    commands: [],
    failingCount: 1,
    restoredProtected: [],
    findings: [],
    error: "your patch does not apply to the original files: error: patch failed: src/a.js:3",
  });
  assert.match(text, /^Verifier: ERROR/);
  assert.match(text, /patch failed: src\/a\.js:3/);
  assert.match(text, /not a verdict on your code/);
});

test("a browser check reads as what the page did, not as an exit code", () => {
  const failing: CommandVerdict = {
    ...verdict("browser check http://localhost:3000/", false, 1, ""),
    feedback: {
      ...compactOutput("", {}),
      text: "serve: node server.js (port 3000)\n1 problem(s):\n  uncaught TypeError at public/app.js:3:15",
    },
    browser: {
      url: "http://localhost:3000/",
      serve: "node server.js",
      stage: "page-opened",
      summary: "uncaught TypeError: x is null at public/app.js:3:15",
    },
  };
  const passing: CommandVerdict = {
    ...verdict("browser check http://localhost:3000/about", false, 0, ""),
    durationMs: 1400,
    browser: {
      url: "http://localhost:3000/about",
      serve: "node server.js",
      stage: "page-opened",
      summary: 'loaded, shows "About"',
    },
  };
  const text = formatVerifyText({
    verdict: "fail",
    commands: [failing, passing],
    failingCount: 1,
    restoredProtected: [],
    findings: [],
  });
  assert.match(
    text,
    /✗ browser check http:\/\/localhost:3000\/ — uncaught TypeError: x is null at public\/app\.js:3:15 · 120 ms\n {4}serve: node server\.js/,
  );
  assert.match(text, /✓ browser check http:\/\/localhost:3000\/about — loaded, shows "About" · 1\.4 s/);
  assert.doesNotMatch(text, /exit code/);
});

test("a failed command that hit a limit names it and how `run` raises it; a passing one gets no advice", () => {
  const oom = {
    ...verdict("cargo test", false, 137, "Killed"),
    limitsHit: [{ limit: "memory" as const, value: 2 * 1024 ** 3 }],
  };
  const passed = {
    ...verdict("npm test", false, 0, "ok"),
    limitsHit: [{ limit: "disk" as const, value: 1024 ** 3 }],
  };
  const text = formatVerifyText({
    verdict: "fail",
    commands: [oom, passed],
    failingCount: 1,
    restoredProtected: [],
    findings: [],
  });
  assert.match(
    text,
    /✗ cargo test — exit code 137 · 120 ms; killed: it hit the sandbox's memory limit \(2 GiB\); raise it with --memory 4g \(or "memory" in closedloop\.config\.json\)/,
  );
  assert.match(text, /✓ npm test — exit code 0 · 120 ms$/m);
  assert.doesNotMatch(text, /disk budget/);
});
