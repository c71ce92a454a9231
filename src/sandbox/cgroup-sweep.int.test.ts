// A host SIGKILLed while its sandbox was frozen (the cgroup freezer) leaves processes that
// cannot die — a frozen process does not act on SIGKILL, not even the parent-death signal —
// in cgroups that rmdir refuses. The next start's sweep must thaw, kill and remove all of it.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { cgroupLayout, sweepStaleCgroups } from "./cgroup-limits.ts";
import { createSandboxInFreshProcess } from "./fresh-process.test-support.ts";

const here = fileURLToPath(new URL(".", import.meta.url));

function markerCount(marker: string): number {
  const r = spawnSync("pgrep", ["-f", marker], { encoding: "utf8" });
  return r.stdout.split("\n").filter(Boolean).length;
}

/**
 * Every directory of cgroup `name` (one per v1 controller it joins, one on v2), and how to
 * freeze it as older versions did for a diff: on v1 that meant a freezer cgroup of the same
 * name holding the sandbox's processes, which is made here (closedloop no longer makes one).
 */
function cgroupDirs(name: string): { dirs: string[]; freeze(): void } {
  const layout = cgroupLayout()!;
  if (layout.version === "v2") {
    const dir = join(layout.parent, name);
    return { dirs: [dir], freeze: () => writeFileSync(join(dir, "cgroup.freeze"), "1") };
  }
  const { freezer, ...joined } = layout.parents;
  const dirs = Object.values(joined).map((p) => join(p, name));
  return {
    dirs: freezer ? [...dirs, join(freezer, name)] : dirs,
    freeze() {
      assert.ok(freezer, "this v1 machine has a writable freezer hierarchy");
      const frozen = join(freezer, name);
      mkdirSync(frozen);
      for (const pid of readFileSync(join(joined.pids!, name, "cgroup.procs"), "utf8").split("\n"))
        if (pid) writeFileSync(join(frozen, "cgroup.procs"), pid);
      writeFileSync(join(frozen, "freezer.state"), "FROZEN");
    },
  };
}

test("a host killed while its sandbox is frozen leaves nothing after the next start's sweep", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cl-frozen-"));
  const marker = `4343.${process.pid}${Math.floor(Math.random() * 1000)}`;
  const script = join(dir, "host.mts");
  writeFileSync(
    script,
    `import { createSandbox } from ${JSON.stringify(join(here, "index.ts"))};
const sb = await createSandbox({ workspace: ${JSON.stringify(dir)}, backend: "local", warmPool: false });
await sb.start("sleep ${marker}1");
await sb.exec("setsid sh -c 'sleep ${marker}2 &'; true");
console.log(JSON.stringify({ id: sb.info.id, mechanism: sb.info.limitMechanism }));
setInterval(() => {}, 1000);
`,
  );
  const host = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const said = await new Promise<string>((resolve) =>
      host.stdout.once("data", (c: Buffer) => resolve(c.toString().trim())),
    );
    const { id, mechanism } = JSON.parse(said) as { id: string; mechanism: string };
    if (!cgroupLayout()) {
      // No cgroup to be had (an unprivileged user without delegation): nothing can be frozen.
      assert.equal(mechanism, "rlimit");
      return;
    }
    const cg = cgroupDirs(`closedloop-${id}`);
    const up = Date.now() + 5000;
    while (markerCount(marker) < 2 && Date.now() < up) await new Promise((r) => setTimeout(r, 50));
    cg.freeze();
    assert.ok(
      cg.dirs.every((d) => existsSync(d)),
      `the sandbox's cgroups exist: ${cg.dirs.join(", ")}`,
    );
    host.kill("SIGKILL");
    await new Promise((r) => host.once("exit", r));
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(markerCount(marker) >= 2, "frozen, the sandbox's processes outlive their host");

    const r = createSandboxInFreshProcess(dir);
    assert.equal(r.status, 0, r.stderr);
    const deadline = Date.now() + 3000;
    while (markerCount(marker) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(markerCount(marker), 0, "no process of the frozen sandbox is left");
    assert.deepEqual(
      cg.dirs.filter((d) => existsSync(d)),
      [],
      "none of its cgroups is left",
    );
  } finally {
    host.kill("SIGKILL");
    await sweepStaleCgroups(); // if an assertion failed, leave no frozen process behind
    rmSync(dir, { recursive: true, force: true });
  }
});
