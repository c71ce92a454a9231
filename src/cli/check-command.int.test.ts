// `closedloop check` end to end: a real failing node:test suite run in a real sandbox
// (process backend always; local/bubblewrap when it can start here), through the CLI entry.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { type BackendName, createSandbox } from "../sandbox/index.ts";
import { type OpenSandbox, runCheck } from "./check-command.ts";

const cli = resolve(import.meta.dirname, "../../bin/closedloop.mjs");
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "closedloop-check-"));
  writeFileSync(join(dir, "package.json"), '{"type":"module"}\n');
  writeFileSync(
    join(dir, "math.test.js"),
    'import assert from "node:assert/strict";\nimport { test } from "node:test";\ntest("adds", () => assert.equal(1 + 1, 3));\ntest("ok", () => {});\n',
  );
});

after(() => rmSync(dir, { recursive: true, force: true }));

function check(args: string[]) {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  return spawnSync(process.execPath, [cli, "check", ...args], {
    cwd: dir,
    encoding: "utf8",
    env,
    timeout: 60_000,
  });
}

test("check --json prints findings, fingerprint and summary, and passes the exit code through", () => {
  const r = check(["--json", "--sandbox", "process", "--", "node --test"]);
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout) as {
    findings: { test?: string; file?: string; line?: number }[];
    fingerprint: string;
    summary: { failed: number; passed: number; status: string };
  };
  assert.deepEqual(Object.keys(out).sort(), ["findings", "fingerprint", "summary"]);
  assert.equal(out.summary.status, "parsed");
  assert.equal(out.summary.failed, 1);
  assert.equal(out.summary.passed, 1);
  assert.equal(out.findings[0]?.test, "adds");
  assert.equal(out.findings[0]?.file, "math.test.js", "paths are relative to the repo, not the sandbox copy");
  assert.equal(out.findings[0]?.line, 3);
  assert.match(out.fingerprint, /^[0-9a-f]{16}$/);
});

test("check prints the compact text by default and exits 0 for a passing command", () => {
  const failing = check(["--sandbox", "process", "--", "node", "--test"]);
  assert.equal(failing.status, 1);
  assert.match(failing.stdout, /^\$ node --test \(exit 1\)$/m);
  // Node 20's `node --test` writes TAP when its output is not a terminal.
  assert.match(failing.stdout, /1 failed, 1 passed, 0 errors \[tap\]/);
  assert.match(failing.stdout, /^ {2}3(:\d+)? adds: Expected values to be strictly equal: 2 !== 3$/m);
  const passing = check(["--sandbox", "process", "--", "true"]);
  assert.equal(passing.status, 0);
  const unknown = check(["--sandbox", "docker", "--", "true"]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /--sandbox local or --sandbox process/);
});

test("the sandbox is disposed after the command, also when the command fails", async () => {
  const events: string[] = [];
  const open: OpenSandbox = async (workspace, backend: BackendName) => {
    const sandbox = await createSandbox({ workspace, backend, quiet: true });
    return {
      exec: (command, options) => {
        events.push(`exec ${command}`);
        return sandbox.exec(command, options);
      },
      dispose: async () => {
        events.push("dispose");
        await sandbox.dispose();
      },
    };
  };
  let printed = "";
  const code = await runCheck(
    { json: false, backend: "process", budgetTokens: 500, command: "node --test; exit 7" },
    { cwd: dir, stdout: (text) => (printed += text), openSandbox: open },
  );
  assert.equal(code, 7);
  assert.equal(events.at(-1), "dispose");
  assert.match(printed, /adds/);
});

// Never skipped: where the local backend cannot start, check fails with the preflight line.
test("the default local (bubblewrap) sandbox runs the check too", () => {
  const r = check(["--json", "--", "node --test"]);
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { findings: { test?: string; file?: string }[] };
  assert.equal(out.findings[0]?.test, "adds");
  assert.equal(out.findings[0]?.file, "math.test.js");
});
