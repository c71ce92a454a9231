// The CPU share where no cgroup holds it (a user with no delegated cgroup: the "rlimit"
// mechanism): the sandbox's agent stops and continues its processes (native/cl-throttle.h).
// CPU is measured from the host, over the sandbox's whole process tree. As root a sandbox
// gets a cgroup, so as root this file runs itself again as an unprivileged user (CLSEC_USER,
// else clbattery as in scripts/security-as-unprivileged.sh, else nobody); never skipped.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createSandbox } from "./index.ts";
import type { Sandbox } from "./types.ts";

const self = fileURLToPath(import.meta.url);
const repoRoot = join(self, "..", "..", "..");

interface Proc {
  pid: number;
  ppid: number;
  state: string;
  /** utime + stime + cutime + cstime, in seconds (USER_HZ is 100 on Linux). */
  cpu: number;
}

/** The host's view of every process under `hostPid` (the sandbox's outer process). */
function tree(hostPid: number): Proc[] {
  const all = new Map<number, Proc>();
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = readFileSync(`/proc/${e}/stat`, "utf8");
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      const cpu = (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
      all.set(Number(e), { pid: Number(e), ppid: Number(f[1]), state: f[0]!, cpu });
    } catch {} // gone while we looked
  }
  const under = (p: Proc): boolean => {
    for (let q: Proc | undefined = p; q; q = all.get(q.ppid)) if (q.pid === hostPid) return true;
    return false;
  };
  return [...all.values()].filter(under);
}

const cpuOf = (hostPid: number) => tree(hostPid).reduce((sum, p) => sum + p.cpu, 0);
const spin = "sh -c 'while :; do :; done'";

/**
 * Two busy processes for `seconds`: the cores they used, and in how many of the host's looks
 * (every 20 ms) some process inside was stopped — the throttle's pauses, seen from outside.
 */
async function twoSpinners(sb: Sandbox, seconds: number): Promise<{ cores: number; pausedLooks: number }> {
  const c0 = cpuOf(sb.info.hostPid!);
  const t0 = performance.now();
  let pausedLooks = 0;
  const look = setInterval(() => {
    if (stoppedIn(sb).length > 0) pausedLooks++;
  }, 20);
  const r = await sb.exec(`${spin} & a=$!; ${spin} & b=$!; sleep ${seconds}; kill $a $b; wait`);
  clearInterval(look);
  const wall = (performance.now() - t0) / 1000;
  assert.equal(r.timedOut, false, r.stderr);
  return { cores: (cpuOf(sb.info.hostPid!) - c0) / wall, pausedLooks };
}

function stoppedIn(sb: Sandbox): Proc[] {
  return tree(sb.info.hostPid!).filter((p) => p.state === "T" || p.state === "t");
}

function unprivilegedUser(): string {
  for (const name of [process.env.CLSEC_USER, "clbattery", "nobody"])
    if (name && spawnSync("id", ["-u", name]).status === 0) return name;
  throw new Error("no unprivileged user to run the throttle test as (set CLSEC_USER)");
}

if (process.getuid?.() === 0) {
  test("the CPU throttle, run as an unprivileged user (no delegated cgroup)", () => {
    const user = unprivilegedUser();
    const r = spawnSync(
      "runuser",
      ["-u", user, "--", "env", "-i", `PATH=${process.env.PATH}`, "HOME=/tmp", "TMPDIR=/tmp"].concat([
        process.execPath,
        "--import",
        "tsx",
        "--test",
        "--test-reporter=spec",
        self,
      ]),
      { cwd: repoRoot, encoding: "utf8", timeout: 120_000 },
    );
    const said = `${r.stdout}\n${r.stderr}`;
    process.stdout.write(said.replace(/^/gm, `  [${user}] `));
    assert.equal(r.status, 0, `as ${user}: ${said.slice(-2000)}`);
    assert.match(r.stdout, /^ℹ fail 0$/m);
    assert.match(r.stdout, /^ℹ pass [1-9]/m);
  });
} else {
  describe("the CPU share without a cgroup: the agent's throttle", { concurrency: 1 }, () => {
    let dir: string;
    let sb: Sandbox;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "cl-throttle-"));
      sb = await createSandbox({
        workspace: dir,
        backend: "local",
        warmPool: false,
        limits: { cpuCores: 0.5 },
      });
    });
    after(async () => {
      await sb?.dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    test("sandbox.info says how the CPU share is held, and nothing is left unenforced", (t) => {
      t.diagnostic(`limit mechanism: ${sb.info.limitMechanism}, cpu: ${sb.info.cpuLimit}`);
      assert.equal(
        sb.info.limitMechanism,
        "rlimit",
        "this user has a delegated cgroup: not the case under test",
      );
      assert.equal(sb.info.cpuLimit, "throttle");
      assert.deepEqual(sb.info.unenforced, []);
    });

    test("two busy processes under cpuCores 0.5 use at most ~0.65 cores over 3 s", async (t) => {
      const held = await twoSpinners(sb, 3);
      t.diagnostic(`throttled at 0.5: ${held.cores.toFixed(3)} cores, paused in ${held.pausedLooks} looks`);
      assert.ok(held.cores <= 0.65, `used ${held.cores.toFixed(3)} cores against 0.5`);
      assert.ok(
        held.cores >= 0.2,
        `the spinners barely ran (${held.cores.toFixed(3)} cores): nothing was measured`,
      );
    });

    test("the cap is the throttle's, not a busy machine's: the host sees the pauses", async (t) => {
      // At 0.2 cores even a loaded shared machine gives two spinners more than the share.
      const tight = await createSandbox({
        workspace: dir,
        backend: "local",
        warmPool: false,
        limits: { cpuCores: 0.2 },
      });
      try {
        const held = await twoSpinners(tight, 2);
        t.diagnostic(`throttled at 0.2: ${held.cores.toFixed(3)} cores, paused in ${held.pausedLooks} looks`);
        assert.ok(held.cores <= 0.3, `used ${held.cores.toFixed(3)} cores against 0.2`);
        assert.ok(
          held.pausedLooks >= 3,
          `the host never saw the throttle pause the sandbox (${held.pausedLooks})`,
        );
      } finally {
        await tight.dispose();
      }
      // With room for both spinners (2 cores) nothing is ever paused.
      const roomy = await createSandbox({
        workspace: dir,
        backend: "local",
        warmPool: false,
        limits: { cpuCores: 2 },
      });
      try {
        const free = await twoSpinners(roomy, 1.5);
        t.diagnostic(
          `same spinners at cpuCores 2: ${free.cores.toFixed(3)} cores, paused in ${free.pausedLooks} looks`,
        );
        assert.equal(free.pausedLooks, 0, "the throttle paused a sandbox with room for both spinners");
      } finally {
        await roomy.dispose();
      }
    });

    test("a light command's latency is unaffected (exec of true stays a few ms)", async (t) => {
      const ms: number[] = [];
      for (let i = 0; i < 15; i++) {
        const t0 = performance.now();
        await sb.exec("true");
        ms.push(performance.now() - t0);
      }
      ms.sort((a, b) => a - b);
      t.diagnostic(`exec true: median ${ms[7]!.toFixed(1)} ms, max ${ms[14]!.toFixed(1)} ms`);
      assert.ok(ms[7]! < 40, `median ${ms[7]!.toFixed(1)} ms`);
    });

    test("a process the command stops itself stays stopped through throttle pauses until it continues it", async () => {
      // One stopped spinner, one running (the throttle pauses the sandbox several times a
      // second meanwhile); then its own SIGCONT. The state and CPU of the stopped one are read inside.
      const tight = await createSandbox({
        workspace: dir,
        backend: "local",
        warmPool: false,
        limits: { cpuCores: 0.2 },
      });
      let pausedLooks = 0; // looks at which more than the user's own stopped process was stopped
      const look = setInterval(() => {
        if (stoppedIn(tight).length >= 2) pausedLooks++;
      }, 20);
      const r = await tight.exec(
        `${spin} & a=$!; kill -STOP $a; ${spin} & b=$!; sleep 0.3; c0=$(cut -d' ' -f14 /proc/$a/stat); ` +
          `sleep 1.5; echo "during $(cut -d' ' -f3 /proc/$a/stat) $c0 $(cut -d' ' -f14 /proc/$a/stat)"; ` +
          `kill -CONT $a; sleep 0.5; echo "after $(cut -d' ' -f3 /proc/$a/stat)"; kill -9 $a $b; wait`,
      );
      clearInterval(look);
      await tight.dispose();
      assert.ok(pausedLooks >= 3, `the throttle never paused the sandbox meanwhile (${pausedLooks})`);
      const during = /^during (\S) (\d+) (\d+)$/m.exec(r.stdout);
      assert.ok(during, r.stdout + r.stderr);
      assert.equal(during[1], "T", "the user's stopped process was continued by someone else");
      assert.equal(during[2], during[3], "the stopped process got CPU");
      assert.match(r.stdout, /^after [RS]$/m, "its own SIGCONT did not continue it");
    });

    test("nothing is left stopped after a timeout, a kill or dispose", async () => {
      // At 0.1 cores a spinner spends most of its time paused: each end below meets a pause.
      const other = await createSandbox({
        workspace: dir,
        backend: "local",
        warmPool: false,
        limits: { cpuCores: 0.1 },
      });
      const hostPid = other.info.hostPid!;
      let pausedLooks = 0;
      const look = setInterval(() => {
        if (stoppedIn(other).length > 0) pausedLooks++;
      }, 20);
      const bg = await other.start(spin);
      const r = await other.exec(spin, { timeoutMs: 1500 });
      assert.equal(r.timedOut, true);
      await bg.kill();
      clearInterval(look);
      assert.ok(pausedLooks >= 3, `the throttle never paused the sandbox (${pausedLooks})`);
      // The agent itself is never stopped, and no process the throttle paused outlives its command.
      await new Promise((done) => setTimeout(done, 200));
      assert.deepEqual(stoppedIn(other), []);
      // A busy server with a TERM handler, paused by the throttle, still gets to run it when killed.
      const trap = await other.start(`trap 'echo termed; exit 3' TERM; while :; do :; done`);
      await new Promise((done) => setTimeout(done, 700));
      await trap.kill();
      assert.match(trap.logs(), /termed/);
      assert.deepEqual(await trap.exited, { exitCode: 3, signal: null });
      await other.start(`${spin} & ${spin}`);
      await new Promise((done) => setTimeout(done, 800));
      await other.dispose();
      assert.deepEqual(tree(hostPid), [], "processes outlived dispose");
    });
  });
}
