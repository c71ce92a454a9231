// The model's shell tool says when a command ran into a sandbox limit, from what the sandbox
// reports (a real local sandbox with a small disk budget, filled for real), and names no
// flag: the model cannot raise a limit, only use less.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createSandbox } from "../sandbox/index.ts";
import { createToolset } from "./create-toolset.ts";
import { runToolCall } from "./run-tool-call.ts";

const workspace = mkdtempSync(join(tmpdir(), "closedloop-shell-limits-"));
const sandbox = await createSandbox({
  workspace,
  backend: "local",
  warmPool: false,
  limits: { diskBytes: 8 * 1024 ** 2 },
});
after(async () => {
  await sandbox.dispose();
  rmSync(workspace, { recursive: true, force: true });
});
const tools = createToolset({});
const context = {
  sandbox,
  runVerifier: async () => ({ content: "not used", isError: false }),
  claimDone: async () => ({ content: "not used", isError: false }),
};

test("shell says the disk budget was filled, and nothing when no limit was hit", async () => {
  const fine = await runToolCall(tools, { name: "shell", args: { command: "echo hi > a.txt" } }, context);
  assert.doesNotMatch(fine.content, /limit|budget/);
  const full = await runToolCall(
    tools,
    {
      name: "shell",
      args: { command: "for i in $(seq 1 10); do head -c 1000000 /dev/zero > f$i || exit 1; done" },
    },
    context,
  );
  assert.match(
    full.content,
    /^exit code 1 · .*\n\[it filled the sandbox's disk budget \(8 MiB for changed files, \/tmp and HOME\)\]$/m,
  );
  assert.doesNotMatch(full.content, /raise it|--disk/);
  assert.deepEqual((full.data as { limitsHit?: string[] }).limitsHit, ["disk"]);
});
