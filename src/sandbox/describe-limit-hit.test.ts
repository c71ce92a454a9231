// The counters' text as the kernel writes it, the before/after rule, and the sentences.
import assert from "node:assert/strict";
import { test } from "node:test";
import { describeLimitHit, limitHitsOf } from "./describe-limit-hit.ts";
import { type LimitSample, limitsHitBetween, readCounter } from "./limit-events.ts";

test("counters are read from cgroup v2 and v1 event files by their key", () => {
  const v2Memory = "low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\noom_group_kill 0\n";
  assert.equal(readCounter(v2Memory, "oom_kill"), 2);
  assert.equal(readCounter(v2Memory, "max"), 12, "memory.events' own max is a different counter");
  assert.equal(readCounter("oom_kill_disable 0\nunder_oom 0\noom_kill 5\n", "oom_kill"), 5);
  assert.equal(readCounter("max 3\n", "max"), 3);
  assert.equal(
    readCounter("oom_kill_disable 0\nunder_oom 0\n", "oom_kill"),
    undefined,
    "an old kernel without it",
  );
});

function sample(counters: Record<string, number>, freeBytes?: number, freeInodes = 1000): LimitSample {
  const s: LimitSample = { counters: new Map(Object.entries(counters)) as LimitSample["counters"] };
  if (freeBytes !== undefined) s.layer = { freeBytes, totalBytes: 8 * 1024 ** 2, freeInodes };
  return s;
}

test("a limit counts as hit only when its counter rose or the layer went full", () => {
  assert.deepEqual(
    limitsHitBetween(sample({ memory: 1, processes: 0 }), sample({ memory: 1, processes: 0 })),
    [],
  );
  assert.deepEqual(
    limitsHitBetween(sample({ memory: 1, processes: 0 }), sample({ memory: 2, processes: 4 })),
    ["memory", "processes"],
  );
  // A counter unreadable before claims nothing.
  assert.deepEqual(limitsHitBetween(sample({}), sample({ memory: 2 })), []);
  assert.deepEqual(limitsHitBetween(sample({}, 4 * 1024 ** 2), sample({}, 0)), ["disk"]);
  assert.deepEqual(
    limitsHitBetween(sample({}, 0), sample({}, 0)),
    [],
    "full before and after, nothing written",
  );
  assert.deepEqual(limitsHitBetween(sample({}, 0, 10), sample({}, 0, 9)), ["disk"], "one more inode taken");
  assert.deepEqual(limitsHitBetween(sample({}, 4096, 5), sample({}, 4096, 0)), ["disk"], "out of inodes");
  assert.deepEqual(limitsHitBetween(sample({}, 4 * 1024 ** 2), sample({}, 2 * 1024 ** 2)), [], "room left");
  assert.deepEqual(limitsHitBetween(sample({}), sample({}, 0)), [], "layer unreadable before");
});

test("each hit is said with its value and the flag that raises it", () => {
  const raisers = {
    memory: { flag: "--memory", configKey: "memory" },
    disk: { flag: "--disk" },
    timeout: { flag: "--verify-timeout", configKey: "verifyTimeout" },
  };
  assert.equal(
    describeLimitHit({ limit: "memory", value: 2 * 1024 ** 3 }, raisers),
    `killed: it hit the sandbox's memory limit (2 GiB); raise it with --memory 4g (or "memory" in closedloop.config.json)`,
  );
  assert.match(
    describeLimitHit({ limit: "memory", value: 96 * 1024 ** 2 }, raisers),
    /\(96 MiB\); raise it with --memory 192m /,
  );
  assert.match(
    describeLimitHit({ limit: "disk", value: 1536 * 1024 ** 2 }, raisers),
    /\(1536 MiB .*--disk 3g$/,
  );
  assert.equal(
    describeLimitHit({ limit: "timeout", value: 120_000 }, raisers),
    `the time limit is 2 min per command; raise it with --verify-timeout 4m (or "verifyTimeout" in closedloop.config.json)`,
  );
  assert.match(
    describeLimitHit({ limit: "timeout", value: 1500 }, raisers),
    /1500 ms per command; raise it with --verify-timeout 3s/,
  );
  assert.match(
    describeLimitHit({ limit: "processes", value: 1024 }, raisers),
    /process limit \(1024 at once\); no flag raises it/,
  );
  assert.equal(
    describeLimitHit({ limit: "memory", value: 1024 ** 3 }, {}),
    "killed: it hit the sandbox's memory limit (1 GiB)",
  );
});

test("a result's hits take their values from the limits; a time-out counts on every backend", () => {
  const limits = { memoryBytes: 1, maxProcesses: 2, diskBytes: 3 };
  assert.equal(limitHitsOf({ timedOut: false }, limits, 9), undefined);
  assert.deepEqual(limitHitsOf({ timedOut: true }, limits, 9), [{ limit: "timeout", value: 9 }]);
  assert.deepEqual(limitHitsOf({ timedOut: true, limitsHit: ["disk", "timeout"] }, limits, 9), [
    { limit: "disk", value: 3 },
    { limit: "timeout", value: 9 },
  ]);
});
