// A clean-room verifier command stopped by a sandbox limit says which limit it was and how a
// user of `closedloop run` raises it (flag and closedloop.config.json key), in the verdict's
// data and in the text. Real local sandboxes, real allocations, forks, writes and sleeps.
// Memory and process hits are only known where a cgroup counts them; under the rlimit
// fallback the text must not claim them (sandbox.info names the mechanism).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createSandbox, type SandboxLimits } from "../sandbox/index.ts";
import { parseVerifierSpec } from "./parse-verifier-spec.ts";
import { verifyCandidate } from "./verify-candidate.ts";

const mib = 1024 ** 2;
const workspace = mkdtempSync(join(tmpdir(), "closedloop-verify-limits-"));
writeFileSync(join(workspace, "README.md"), "a project\n");
after(() => rmSync(workspace, { recursive: true, force: true }));

const limits: Partial<SandboxLimits> = { memoryBytes: 128 * mib, maxProcesses: 64, diskBytes: 8 * mib };
const probe = await createSandbox({ workspace, backend: "local", warmPool: false, limits });
const mechanism = probe.info.limitMechanism;
await probe.dispose();
const counted = mechanism === "cgroup-v1" || mechanism === "cgroup-v2";

async function verify(command: string, timeoutMs?: number) {
  const spec = parseVerifierSpec({ verify: [command], ...(timeoutMs ? { timeoutMs } : {}) });
  const result = await verifyCandidate({
    spec,
    workspace,
    patch: "",
    sandboxPolicy: { backend: "local", warmPool: false, limits },
  });
  assert.equal(result.verdict === "error", false, result.error);
  return { result, command: result.commands[0]! };
}

describe(`verifier commands that hit a limit (local sandbox, ${mechanism})`, () => {
  test("under every limit: passes, no limit named", async () => {
    const { result, command } = await verify(`python3 -c "b = b'x' * (16 * 1024 * 1024)" && echo ok`);
    assert.equal(result.verdict, "pass", result.text);
    assert.equal(command.limitsHit, undefined);
    assert.doesNotMatch(result.text, /limit|raise it/);
  });

  test("memory: names the limit and --memory", async () => {
    const { result, command } = await verify(`python3 -c "b = b'x' * (400 * 1024 * 1024)"`);
    assert.equal(result.verdict, "fail");
    if (counted) {
      assert.deepEqual(command.limitsHit, [{ limit: "memory", value: 128 * mib }]);
      assert.match(
        result.text,
        /— exit code 137 · [\d.]+ m?s; killed: it hit the sandbox's memory limit \(128 MiB\); raise it with --memory 256m \(or "memory" in closedloop\.config\.json\)/,
      );
    } else {
      assert.equal(command.limitsHit, undefined, "rlimit: a failed malloc leaves no counter to read");
      assert.doesNotMatch(result.text, /memory limit/);
    }
  });

  test("processes: names the process limit", async () => {
    const { result, command } = await verify("for i in $(seq 1 100); do sleep 1 & done; wait");
    assert.equal(result.verdict, "fail");
    if (counted) {
      assert.deepEqual(command.limitsHit, [{ limit: "processes", value: 64 }]);
      assert.match(
        result.text,
        /a fork was refused: it hit the sandbox's process limit \(64 at once\); no flag raises it/,
      );
    } else {
      assert.equal(command.limitsHit, undefined);
      assert.doesNotMatch(result.text, /process limit/);
    }
  });

  test("disk: names the budget and --disk, on every mechanism", async () => {
    const { result, command } = await verify(
      "for i in $(seq 1 10); do head -c 1000000 /dev/zero > f$i || exit 1; done",
    );
    assert.equal(result.verdict, "fail");
    assert.deepEqual(command.limitsHit, [{ limit: "disk", value: 8 * mib }]);
    assert.match(
      result.text,
      /exit code 1 · [\d.]+ m?s; it filled the sandbox's disk budget \(8 MiB for changed files, \/tmp and HOME\); raise it with --disk 16m \(or "disk" in closedloop\.config\.json\)/,
    );
  });

  test("timeout: names the verifier's time limit and --verify-timeout", async () => {
    const { result, command } = await verify("sleep 30", 1500);
    assert.equal(result.verdict, "fail");
    assert.deepEqual(command.limitsHit, [{ limit: "timeout", value: 1500 }]);
    assert.match(
      result.text,
      /timed out and was killed · [\d.]+ s; the time limit is 1500 ms per command; raise it with --verify-timeout 3s \(or "verifyTimeout" in closedloop\.config\.json\)/,
    );
  });
});
