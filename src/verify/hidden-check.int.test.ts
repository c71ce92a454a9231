// Two outside attacks on hidden checks, each shown to work, then stopped in the clean room:
// code under test reading the check's expected answer from its caller's command line, and a
// process left by one verifier command watching the next.
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyPatchIn } from "../patch/index.ts";
import { createSandbox } from "../sandbox/index.ts";
import { parseVerifierSpec } from "./parse-verifier-spec.ts";
import { scratchProjects } from "./testing/project-files.ts";
import { verifyCandidate } from "./verify-candidate.ts";

const project = scratchProjects("hidden");

const adder = {
  "add.js": "exports.add = (a, b) => a - b;\n",
  "cli.js":
    'const { add } = require("./add.js");\nconst [a, b] = process.argv.slice(2).map(Number);\nconsole.log(add(a, b));\n',
  "test/add.test.js":
    'const assert = require("node:assert");\nconst test = require("node:test");\nconst { add } = require("../add.js");\n' +
    'test("adds", () => assert.equal(add(1, 1), 2));\n',
};
function replaceAdd(body: string): string {
  return [
    "diff --git a/add.js b/add.js",
    "--- a/add.js",
    "+++ b/add.js",
    `@@ -1 +1,${body.split("\n").length} @@`,
    "-exports.add = (a, b) => a - b;",
    ...body.split("\n").map((line) => `+${line}`),
    "",
  ].join("\n");
}
// No fix: add(1, 1) is special-cased for the visible test, and any other call answers what
// the caller's `grep -x` wants, read from the command lines of the sandbox's processes.
const oracle = replaceAdd(
  [
    'const fs = require("node:fs");',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the patched file's own template string
    'const hint = () => { for (const p of fs.readdirSync("/proc").filter((n) => /^\\d+$/.test(n))) { try { const m = fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\\0").join(" ").match(/grep -\\w*x\\w* (\\S+)/); if (m) return Number(m[1]); } catch {} } };',
    "exports.add = (a, b) => (a === 1 && b === 1 ? 2 : hint() ?? a - b);",
  ].join("\n"),
);
const honest = replaceAdd("exports.add = (a, b) => a + b;");

test("a hidden check with its answer in the sandbox is read by the code under test; ' ==> ' keeps it on the host", async () => {
  const workspace = project("oracle", adder);
  const verdict = async (hidden: string, patch: string) => {
    const result = await verifyCandidate({
      spec: parseVerifierSpec({ verify: ["node --test test/"], hidden: [hidden] }),
      workspace,
      patch,
      sandboxPolicy: { backend: "local" },
    });
    if (result.verdict === "error") throw new Error(JSON.stringify(result).slice(0, 1500));
    return result.verdict;
  };
  assert.equal(await verdict("node cli.js 2 3 | grep -qx 5", oracle), "pass", "the cheat is real");
  assert.equal(
    await verdict("node cli.js 2 3 ==> 5", oracle),
    "fail",
    "the answer never entered the sandbox",
  );
  assert.equal(await verdict("node cli.js 2 3 ==> 5", honest), "pass", "a real fix prints 5");
  assert.equal(await verdict("node cli.js 2 3 ==> 6", honest), "fail", "and the output is compared");
});

// The first command leaves a detached process that appends to a log as long as it lives; the
// second passes only when nothing appends any more.
// A second one takes the relay's name (prctl PR_SET_NAME): strays are not told by name.
const renamed = `import ctypes, time; ctypes.CDLL(None).prctl(15, b"cl-forward", 0, 0, 0); [(open("/tmp/stray.log", "a").write("y\\n"), time.sleep(0.05)) for _ in iter(int, 1)]`;
const leaveStray =
  `setsid sh -c 'while :; do echo x >> /tmp/stray.log; sleep 0.05; done' </dev/null >/dev/null 2>&1 & ` +
  `setsid python3 -c '${renamed}' </dev/null >/dev/null 2>&1 & sleep 0.5; ` +
  `grep -qx cl-forward /proc/[0-9]*/comm`;
const nothingLeft = `sleep 0.2; a=$(wc -l < /tmp/stray.log); sleep 0.4; b=$(wc -l < /tmp/stray.log); [ "$a" = "$b" ]`;

test("a detached process outlives its command in one sandbox, but not into the clean room's next command", async () => {
  const workspace = project("stray", { "README.md": "x\n" });
  const sb = await createSandbox({ workspace, backend: "local", warmPool: false });
  try {
    assert.equal(await applyPatchIn(sb, workspace, ""), undefined);
    assert.equal((await sb.exec(leaveStray)).exitCode, 0, "both strays run, one named cl-forward");
    const r = await sb.exec(nothingLeft);
    assert.notEqual(r.exitCode, 0, "the stray is still writing (the attack is real)");
  } finally {
    await sb.dispose();
  }
  const result = await verifyCandidate({
    spec: parseVerifierSpec({ verify: [leaveStray], hidden: [nothingLeft] }),
    workspace,
    patch: "",
    sandboxPolicy: { backend: "local" },
  });
  assert.equal(result.commands[0]?.passed, true, "the strays were started, the renamed one too");
  const hidden = result.commands.find((c) => c.hidden);
  assert.equal(hidden?.passed, true, `the stray was ended before the hidden check: ${result.text}`);
});
