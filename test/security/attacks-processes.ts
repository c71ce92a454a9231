// Process attacks: signalling, tracing or even seeing a host process, another sandbox's
// processes, processes that try to outlive dispose (double-forked setsid daemons, nohup,
// background jobs), running as root on the host (directly or through a setuid binary),
// and injecting keystrokes into a host terminal with TIOCSTI. Host truth comes from the
// host's /proc: uids are read there, survivors are found there by the run's marker.
import { readFileSync } from "node:fs";
import type { Attack, AttackContext, AttackOutcome } from "./attack-context.ts";
import { findMarkedProcesses } from "./attack-context.ts";
import { pause, probeOutcome, q, summarize } from "./attack-helpers.ts";

function hostUids(pids: number[]): number[] {
  const uids: number[] = [];
  for (const pid of pids) {
    try {
      const line = /^Uid:\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (line) uids.push(Number(line[2]));
    } catch {}
  }
  return uids;
}

/** Starts `command` (which carries the marker) inside, then reads the marked processes' host euids. */
async function hostEuidOf(ctx: AttackContext, command: string, mustRun: boolean): Promise<AttackOutcome> {
  const sb = await ctx.sandbox();
  let done = false;
  const run = ctx.sh(sb, command, { timeoutMs: 10_000 }).finally(() => {
    done = true;
  });
  let uids: number[] = [];
  for (let i = 0; i < 60 && uids.length === 0 && !done; i++) {
    await pause(100);
    // Only the payload itself counts: a launcher whose argv carries the command may be root.
    uids = hostUids(findMarkedProcesses(ctx.fixture.marker, ["probe"]));
  }
  const r = await run;
  if (mustRun && uids.length === 0)
    throw new Error(`the payload was never seen on the host: ${summarize(r)}`);
  const root = uids.includes(0);
  return {
    escaped: root,
    evidence:
      uids.length > 0
        ? `host euid(s) of the payload: ${[...new Set(uids)].join(",")}`
        : `no payload seen: ${summarize(r)}`,
  };
}

/** Leaves something running, disposes the sandbox, then looks for it on the host. */
async function outlivesDispose(
  ctx: AttackContext,
  command: string,
  useStart: boolean,
): Promise<AttackOutcome> {
  const sb = await ctx.sandbox();
  let said = "";
  if (useStart) await sb.start(command);
  else said = summarize(await ctx.sh(sb, command, { timeoutMs: 5000 }));
  await pause(300);
  const alive = findMarkedProcesses(ctx.fixture.marker).length;
  await sb.dispose();
  await pause(500);
  const after = findMarkedProcesses(ctx.fixture.marker);
  return {
    escaped: after.length > 0,
    evidence: `${alive} running before dispose, ${after.length} after; ${said}`,
  };
}

export const processAttacks: Attack[] = [
  {
    id: "kill-host-process",
    category: "processes",
    title: "a host process cannot be killed from inside",
    async run(ctx) {
      const target = ctx.hostProcess();
      const sb = await ctx.sandbox();
      const r = await ctx.sh(sb, `kill -9 ${target.pid}`);
      await pause(200);
      const dead = !target.isAlive();
      return { escaped: dead, evidence: dead ? `host pid ${target.pid} was killed` : summarize(r) };
    },
  },
  {
    id: "ptrace-host-process",
    category: "processes",
    title: "a host process cannot be traced with PTRACE_ATTACH",
    run(ctx) {
      const target = ctx.hostProcess();
      return probeOutcome(ctx, ["ptrace", target.pid]);
    },
  },
  {
    id: "see-host-processes",
    category: "processes",
    title: "host processes are not visible in /proc",
    async run(ctx) {
      const target = ctx.hostProcess();
      const sb = await ctx.sandbox();
      const r = await ctx.sh(
        sb,
        `tr '\\0' ' ' < /proc/${target.pid}/cmdline; echo; ls /proc | grep -c '^[0-9]'`,
      );
      const seen = r.stdout.startsWith("sleep 60");
      return { escaped: seen, evidence: seen ? `host pid ${target.pid} is visible` : summarize(r) };
    },
  },
  {
    id: "peer-sandbox-process",
    category: "processes",
    title: "a sandbox cannot see another live sandbox's processes or their arguments",
    async run(ctx) {
      const peer = await ctx.sandbox();
      await peer.start(`sh -c 'sleep 20; : ${ctx.fixture.secretToken} ${ctx.fixture.marker}'`);
      await pause(300);
      const sb = await ctx.sandbox();
      const r = await ctx.sh(
        sb,
        "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' '\\n' | grep -c 'SECRE[T]-'",
      );
      const leaked = Number(r.stdout.trim()) > 0;
      return { escaped: leaked, evidence: leaked ? "the peer's command line was read" : summarize(r) };
    },
  },
  {
    id: "setsid-daemon",
    category: "processes",
    title: "a double-forked setsid daemon does not outlive dispose",
    run: (ctx) => outlivesDispose(ctx, ctx.payload("bomb", "daemon", 30), false),
  },
  {
    id: "nohup-background",
    category: "processes",
    title: "a nohup background job does not outlive dispose",
    run: (ctx) =>
      outlivesDispose(
        ctx,
        `nohup sh -c ${q(`sleep 30; : ${ctx.fixture.marker}`)} >/dev/null 2>&1 & echo started`,
        false,
      ),
  },
  {
    id: "start-background",
    category: "processes",
    title: "a process started with start() does not outlive dispose",
    run: (ctx) =>
      outlivesDispose(ctx, `sh -c ${q(`trap '' TERM HUP; sleep 30; : ${ctx.fixture.marker}`)}`, true),
  },
  {
    id: "host-root-uid",
    category: "processes",
    title: "sandboxed code never runs as root on the host",
    run: (ctx) => hostEuidOf(ctx, ctx.payload("probe", "hold", 4), true),
  },
  {
    id: "setuid-binary",
    category: "processes",
    title: "a setuid-root binary (su) gains no root on the host",
    run: (ctx) =>
      hostEuidOf(
        ctx,
        `su root -c ${q(ctx.payload("probe", "hold", 4))} </dev/null 2>&1; su -c id </dev/null 2>&1`,
        false,
      ),
  },
  {
    id: "tiocsti",
    category: "processes",
    title: "TIOCSTI cannot inject keystrokes into a host terminal or the parent's tty",
    async run(ctx) {
      const pty = await ctx.hostPty();
      const a = await probeOutcome(ctx, ["tiocsti", pty]);
      const b = await probeOutcome(ctx, ["tiocsti", "/dev/tty"]);
      return { escaped: a.escaped || b.escaped, evidence: `${pty}: ${a.evidence}; /dev/tty: ${b.evidence}` };
    },
  },
];
