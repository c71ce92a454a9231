// The escape battery against the `local` backend: one test per attack, each asserting
// that the attack got nothing AND that the host is unchanged (see run-attack.ts). When the
// local backend cannot run on this machine every test fails with the preflight message;
// a security suite that skips itself would read as green.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createSandbox } from "../../src/sandbox/index.ts";
import { attacks } from "./attacks.ts";
import { createHostFixture, type HostFixture } from "./host-fixture.ts";
import { runAttack } from "./run-attack.ts";

describe("escape battery (local backend)", { concurrency: 1 }, () => {
  let fixture: HostFixture | undefined;
  let unavailable: string | undefined;

  before(async () => {
    fixture = await createHostFixture();
    try {
      const sb = await createSandbox({ workspace: fixture.workspace, backend: "local" });
      await sb.dispose();
    } catch (error) {
      unavailable = `the local backend cannot run here: ${(error as Error).message}`;
    }
  });
  after(async () => {
    await fixture?.dispose();
  });

  test("the battery has at least 40 attacks with unique ids", () => {
    assert.ok(attacks.length >= 40, `only ${attacks.length} attacks`);
    assert.equal(new Set(attacks.map((a) => a.id)).size, attacks.length);
  });

  for (const attack of attacks) {
    test(attack.title, async (t) => {
      assert.equal(unavailable, undefined, unavailable);
      const r = await runAttack(attack, "local", fixture!);
      assert.equal(r.error, undefined, `${attack.id}: ${r.error}`);
      assert.deepEqual(r.hostChanges, [], `${attack.id} changed the host`);
      assert.deepEqual(r.strays, [], `${attack.id} left processes running`);
      if (r.escaped && r.gap) {
        // The sandbox says itself that it cannot hold this limit here (e.g. no cgroup for a
        // non-root user): shown as a TODO with the reason, never counted as held.
        t.todo(`disclosed gap, not held: ${r.gap} (${r.evidence})`);
        return;
      }
      assert.equal(r.escaped, false, `${attack.id} escaped: ${r.evidence}`);
    });
  }
});
