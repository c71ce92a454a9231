// Resource attacks, each bounded by its own arguments (fixtures/bomb.c) so that even
// unsandboxed they cannot hurt this machine: 1,000 processes, 1 GiB of memory, 256 MiB
// of disk, 8 busy processes for 3 s, 200 MiB of output. An attack "escapes" when it
// goes clearly past the limit the battery set (batteryLimits), not merely up to it.

import { readdirSync } from "node:fs";
import type { ExecOptions } from "../../src/sandbox/index.ts";
import type { Attack, AttackContext, AttackOutcome } from "./attack-context.ts";
import { assertPayloadRan, lastNumber, pause, retainedBytes, summarize } from "./attack-helpers.ts";

const mib = 1024 ** 2;

async function fillOutcome(ctx: AttackContext, paths: string[], limitBytes: number): Promise<AttackOutcome> {
  const sb = await ctx.sandbox();
  const r = await ctx.sh(sb, paths.map((p) => ctx.payload("bomb", "fill", 256, p)).join("; "), {
    timeoutMs: 20_000,
  });
  assertPayloadRan(r, /^(fill \d+|open failed)/m);
  const wrote = [...r.stdout.matchAll(/wrote (\d+) MiB/g)].map((m) => Number(m[1]));
  const most = Math.max(lastNumber(r.stdout, "fill"), ...wrote);
  const limit = limitBytes / mib;
  return {
    escaped: most > limit * 1.25,
    evidence: `wrote up to ${most} MiB against a ${limit} MiB limit (${summarize(r).slice(0, 120)})`,
  };
}

/** Leaves something odd in the workspace, then times the host-side diff() and its memory. */
export async function diffBomb(
  ctx: AttackContext,
  command: string,
  options: ExecOptions = {},
): Promise<AttackOutcome> {
  const sb = await ctx.sandbox();
  const made = await ctx.sh(sb, command, options);
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 25);
  const start = Date.now();
  let outcome: string;
  try {
    outcome = await Promise.race([
      sb.diff().then((d) => `diff of ${(d.length / 1024).toFixed(0)} KiB`),
      new Promise<string>((r) => setTimeout(() => r("diff still running after 15 s"), 15_000)),
    ]);
  } catch (error) {
    outcome = `diff threw ${(error as Error).message.slice(0, 100)}`;
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  const seconds = (Date.now() - start) / 1000;
  const growth = (peak - rss0) / mib;
  return {
    escaped: seconds > 10 || growth > ctx.limits.memoryBytes / mib,
    evidence: `${outcome} in ${seconds.toFixed(1)} s, host RSS +${growth.toFixed(0)} MiB (${summarize(made).slice(0, 60)})`,
  };
}

export const resourceAttacks: Attack[] = [
  {
    id: "fork-bomb",
    category: "resources",
    title: "a fork bomb stays inside the process limit",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const r = await ctx.sh(sb, ctx.payload("bomb", "fork", 1000, 1500), { timeoutMs: 20_000 });
      assertPayloadRan(r, /^forked \d+/m);
      const forked = lastNumber(r.stdout, "forked");
      return {
        // A little slack over the limit is not an escape (the agent and the shell count too).
        escaped: forked > ctx.limits.maxProcesses * 1.25,
        evidence: `forked ${forked} of 1000 against a limit of ${ctx.limits.maxProcesses} (${summarize(r).slice(0, 120)})`,
      };
    },
  },
  {
    id: "memory-bomb",
    category: "resources",
    title: "a memory bomb stays inside the memory limit",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const r = await ctx.sh(sb, ctx.payload("bomb", "mem", 1024), { timeoutMs: 20_000 });
      assertPayloadRan(r, /^mem \d+/m);
      const got = lastNumber(r.stdout, "mem");
      const limit = ctx.limits.memoryBytes / mib;
      return {
        escaped: got > limit * 1.25,
        evidence: `touched ${got} MiB against a ${limit} MiB limit (${r.timedOut ? "timed out" : r.signal ? `signal ${r.signal}` : `exit ${r.exitCode}`})`,
      };
    },
  },
  {
    id: "disk-fill",
    category: "resources",
    title: "filling the disk stops at the writable-layer limit, in the workspace and in /tmp",
    run: (ctx) => fillOutcome(ctx, ["./fill.bin", "/tmp/fill.bin"], ctx.limits.diskBytes),
  },
  {
    id: "disk-fill-total",
    category: "resources",
    title: "the writable layer, /tmp and $HOME together stay inside one disk limit",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const paths = ["./fill-a.bin", "/tmp/fill-b.bin", "$HOME/fill-c.bin"];
      // Files are kept until all three are written, so the sum is what was held at once.
      const r = await ctx.sh(
        sb,
        `${paths.map((p) => `head -c 268435456 /dev/zero > "${p}" 2>/dev/null; echo "held $(( $(stat -c %s "${p}" 2>/dev/null || echo 0) / 1048576 ))"`).join("; ")}; rm -f ${paths.map((p) => `"${p}"`).join(" ")}`,
        { timeoutMs: 20_000 },
      );
      assertPayloadRan(r, /held \d+/);
      const total = [...r.stdout.matchAll(/held (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
      const limit = ctx.limits.diskBytes / mib;
      return {
        escaped: total > limit * 1.25,
        evidence: `held ${total} MiB at once across the three places against a ${limit} MiB limit (${r.stdout.replace(/\s+/g, " ").trim()})`,
      };
    },
  },
  {
    id: "shm-fill",
    category: "resources",
    title: "filling /dev/shm stops at the shm limit",
    run: (ctx) => fillOutcome(ctx, [`/dev/shm/cl-sec-${ctx.fixture.marker}-shm-fill`], ctx.limits.shmBytes),
  },
  {
    id: "cpu-spin",
    category: "resources",
    title: "eight busy processes, each in its own session, together get no more CPU than the limit",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const r = await ctx.sh(sb, ctx.payload("bomb", "spin", 8, 3000), { timeoutMs: 20_000 });
      assertPayloadRan(r, /^cpu_ms \d+/m);
      const cpu = lastNumber(r.stdout, "cpu_ms");
      const wall = lastNumber(r.stdout, "wall_ms");
      const share = wall > 0 ? cpu / wall : 0;
      const gap = sb.info.unenforced?.find((u) => u.limit === "cpuCores")?.why;
      return {
        escaped: share > ctx.limits.cpuCores * 1.3,
        evidence: `used ${share.toFixed(2)} cores for ${wall} ms against a limit of ${ctx.limits.cpuCores} (${summarize(r).slice(0, 80)})`,
        ...(gap ? { gap } : {}),
      };
    },
  },
  {
    id: "stdout-flood",
    category: "resources",
    title: "a 200 MB flood of stdout is cut at the output limit without growing the host process",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 25);
      const r = await ctx.sh(sb, ctx.payload("bomb", "flood", 200), { timeoutMs: 30_000 });
      clearInterval(timer);
      assertPayloadRan(r, /^AAAA/);
      const kept = Buffer.byteLength(r.stdout);
      const growth = (peak - rss0) / mib;
      const over = kept > ctx.limits.outputBytes * 1.1;
      return {
        escaped: over || growth > 150 || !r.truncated,
        evidence: `kept ${(kept / mib).toFixed(1)} MiB of ${(r.outputBytes / mib).toFixed(0)} MiB, truncated=${r.truncated}, host RSS +${growth.toFixed(0)} MiB`,
      };
    },
  },
  {
    id: "wall-time",
    category: "resources",
    title: "a command that ignores SIGTERM is still stopped at its timeout",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const r = await ctx.sh(sb, `sh -c "trap '' TERM; sleep 30; : ${ctx.fixture.marker}"`, {
        timeoutMs: 1500,
      });
      return {
        escaped: !r.timedOut || r.durationMs > 6000,
        evidence: `stopped after ${r.durationMs} ms, timedOut=${r.timedOut}`,
      };
    },
  },
  {
    id: "raise-limits",
    category: "resources",
    title: "the sandbox cannot raise its own hard rlimits or cgroup limits",
    async run(ctx) {
      const sb = await ctx.sandbox();
      // rlimits: raising a finite hard limit needs CAP_SYS_RESOURCE. cgroups: only when the
      // sandbox sees itself at the root of its own cgroup namespace (never the host's tree).
      const script = [
        "for r in nofile nproc memlock msgqueue fsize as; do",
        'h=$(prlimit --pid $$ --$r -o HARD --noheadings | tr -d " ");',
        '[ "$h" = unlimited ] || [ -z "$h" ] && continue;',
        'prlimit --pid $$ --$r=:$((h + 1)) 2>/dev/null && echo "raised $r above $h"; done;',
        'if [ "$(cat /proc/self/cgroup)" = "0::/" ]; then for f in memory.max pids.max cpu.max memory.swap.max; do',
        '[ -e /sys/fs/cgroup/$f ] && echo max > /sys/fs/cgroup/$f 2>/dev/null && echo "raised $f"; done; fi; echo checked',
      ].join(" ");
      const r = await ctx.sh(sb, script);
      assertPayloadRan(r, /checked/);
      const raised = [...r.stdout.matchAll(/^raised (.*)$/gm)].map((m) => m[1]);
      return { escaped: raised.length > 0, evidence: raised.length > 0 ? raised.join("; ") : summarize(r) };
    },
  },
  {
    id: "diff-fifo",
    category: "resources",
    title: "a FIFO left in the workspace does not hang diff()",
    run: (ctx) => diffBomb(ctx, "mkfifo pipe-bomb && ls -l pipe-bomb"),
  },
  {
    id: "diff-sparse-file",
    category: "resources",
    title: "a 512 MiB sparse file (no disk blocks) does not make diff() bloat or stall the host process",
    run: (ctx) => diffBomb(ctx, "truncate -s 512M sparse.bin && du -k sparse.bin"),
  },
  {
    id: "host-connection-flood",
    category: "resources",
    title: "holding 1,500 connections to the egress proxy does not pile up open files in the host process",
    async run(ctx) {
      const sb = await ctx.sandbox({ allowNet: ["allowed.cl-sec.invalid"] });
      // The proxy (or, with no proxy, the host's own service) lives in this very process.
      const fds = () => readdirSync("/proc/self/fd").length;
      const before = fds();
      const target = `host=127.0.0.1; port=${ctx.fixture.ports.forbidden}; p=\${HTTP_PROXY#*//}; p=\${p%/}; [ -n "$HTTP_PROXY" ] && host=\${p%:*} && port=\${p##*:}`;
      const run = ctx.sh(
        sb,
        `${target}; ${ctx.payload("probe", "hold", "$host", "$port", 1500, 2500).replace(/'\$(host|port)'/g, '"$$$1"')}`,
      );
      let peak = before;
      for (let i = 0; i < 25; i++) {
        await pause(100);
        peak = Math.max(peak, fds());
      }
      const r = await run;
      assertPayloadRan(r, /holding \d+|^denied:/m);
      const growth = peak - before;
      return {
        escaped: growth > 400,
        evidence: `host process open files +${growth} (${summarize(r).slice(0, 100)})`,
      };
    },
  },
  {
    id: "background-flood",
    category: "resources",
    title: "a background process flooding its log neither piles up in nor stalls the host process",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const held0 = retainedBytes();
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      let worstLag = 0;
      const bg = await sb.start(ctx.payload("bomb", "flood", 200));
      const start = Date.now();
      // Timer drift measures how long the host's event loop was kept busy by the flood.
      while (Date.now() - start < 4000 && bg.isRunning()) {
        const t = Date.now();
        await pause(100);
        worstLag = Math.max(worstLag, Date.now() - t - 100);
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      const held = (retainedBytes() - held0) / mib;
      const kept = bg.logs().length;
      await Promise.race([bg.kill(), pause(5000)]);
      return {
        escaped: held > 64 || kept > 16 * mib || worstLag > 2000,
        evidence: `log kept ${(kept / mib).toFixed(1)} MiB; host retains +${held.toFixed(0)} MiB after GC (RSS peak +${((peak - rss0) / mib).toFixed(0)} MiB); event loop stalled up to ${worstLag} ms`,
      };
    },
  },
  {
    id: "readfile-sparse-file",
    category: "resources",
    title: "readFile of a 512 MiB sparse file does not bloat the host process",
    async run(ctx) {
      const sb = await ctx.sandbox();
      await ctx.sh(sb, "truncate -s 512M sparse.bin");
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      const timer = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 25);
      let outcome: string;
      try {
        const bytes = await sb.readFile("sparse.bin");
        outcome = `returned ${(bytes.length / mib).toFixed(0)} MiB`;
      } catch (error) {
        outcome = `refused: ${(error as Error).message.slice(0, 80)}`;
      } finally {
        clearInterval(timer);
      }
      peak = Math.max(peak, process.memoryUsage().rss);
      const growth = (peak - rss0) / mib;
      return {
        escaped: growth > ctx.limits.memoryBytes / mib,
        evidence: `${outcome}, host RSS +${growth.toFixed(0)} MiB`,
      };
    },
  },
];
