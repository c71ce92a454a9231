import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { raceTimeout } from "./timers.ts";

test("the work's value wins the race and the timer goes with it", async () => {
  assert.equal(await raceTimeout(Promise.resolve("done"), 5000, "timeout"), "done");
  assert.equal(await raceTimeout(new Promise(() => {}), 10, "timeout"), "timeout");
});

test("a process whose race was won by the work exits at once, not when the timer would fire", () => {
  const script = `import("${new URL("./timers.ts", import.meta.url).pathname}").then((t) => t.raceTimeout(Promise.resolve(1), 30_000, 0))`;
  const started = Date.now();
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
  const bare = `new Promise((r) => setTimeout(r, 5000)); Promise.race([Promise.resolve(1), new Promise((r) => setTimeout(r, 5000))])`;
  const t0 = Date.now();
  spawnSync(process.execPath, ["-e", bare]);
  assert.ok(Date.now() - t0 >= 4900, "the bare race does keep a process alive (the bug this guards against)");
});
