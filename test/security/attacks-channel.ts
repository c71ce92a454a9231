// Agent-channel attacks: can anything inside make the host hear what the agent did not say?
// The sandbox's code runs as the same uid as the agent, so it tries what that uid can do to
// a process: write code into the process that holds the channel through /proc/N/mem (the
// bwrap init used to be PID 1, dumpable, holding the channel as fds 0-2), and stop the agent
// so that the host hangs. Each must leave the host hearing the command's real exit status.
// Both target the local backend's own processes; on `process` the same payload would hit
// the host's real PID 1 and other sandboxes, so they run on `local` only (appliesTo), and
// were shown to get through against the code before the fix (see the issue 9 report).
// The ancestor attacks aim only at the command's own shell (the injector refuses any
// parent that is not a shell); on `process` that shell is a child of the test, so they run
// there too and get through: that backend does not claim to isolate anything.
import type { Attack } from "./attack-context.ts";
import { summarize } from "./attack-helpers.ts";

/** True when the host believed a forged frame: a clean exit or the injected output. */
function believedForgery(r: { exitCode: number | null; stdout: string }): boolean {
  return r.exitCode === 0 || r.stdout.includes("FORGED");
}

export const channelAttacks: Attack[] = [
  {
    id: "forge-agent-frames",
    category: "channel",
    title: "code injected through /proc/N/mem into a channel holder cannot forge a command's output or exit",
    appliesTo: ["local"],
    async run(ctx) {
      const sb = await ctx.sandbox();
      // One command, so its id is 1 in a fresh sandbox: a forged frame for any other id
      // would be refused by the host's checks and prove nothing about the channel.
      // The injector must work here at all: against a decoy of its own it has to succeed;
      // then every process with a socket on fd 0-2, and PID 1, is made to send frames.
      const holders = `{ ${ctx.payload("forge", "pids")}; echo 1; } | sort -un`;
      const forge = ctx.payload("forge", "frames", "PID", 1, 1).replace("'PID'", '"$p"');
      const r = await ctx.sh(
        sb,
        `${ctx.payload("forge", "calibrate")} || exit 99; for p in $(${holders}); do ${forge}; done; echo REAL; exit 7`,
        { timeoutMs: 15_000 },
      );
      if (r.exitCode === 99) throw new Error(`the injector does not work here: ${summarize(r)}`);
      // A SandboxProtocolError (exec threw) means the host refused what it heard: held.
      return { escaped: believedForgery(r), evidence: `host heard ${summarize(r)}` };
    },
  },
  {
    id: "forge-ancestor-exit",
    category: "channel",
    title: "code injected through /proc/PPID/mem into the command's own shell cannot change its exit status",
    async run(ctx) {
      const sb = await ctx.sandbox();
      // The shell waits in wait4 for the injector; exit_group(0) written where that call
      // returns would end it with 0 instead of the 7 it is about to exit with.
      const r = await ctx.sh(
        sb,
        `${ctx.payload("forge", "calibrate")} >/dev/null || exit 99; ${ctx.payload("forge", "exit-parent")}; echo REAL; exit 7`,
        { timeoutMs: 15_000 },
      );
      if (r.exitCode === 99) throw new Error(`the injector does not work here: ${summarize(r)}`);
      return { escaped: r.exitCode !== 7, evidence: `host heard ${summarize(r)}` };
    },
  },
  {
    id: "forge-through-ancestor-fd",
    category: "channel",
    title: "a process without the command's stdout cannot write into it through /proc/PPID/fd/1",
    // On `process` the command's stdout is a socket (node's stdio), which /proc/N/fd cannot
    // reopen (ENXIO): it would hold there by accident, which calibrates nothing.
    appliesTo: ["local"],
    async run(ctx) {
      const sb = await ctx.sandbox();
      // The injector's own stdout is /dev/null (it says so itself, on stderr: a redirection
      // here would be made by the shell on its own fd 1): only its parent's reaches the host.
      const r = await ctx.sh(
        sb,
        `${ctx.payload("forge", "parent-fd", 1)}; [ $? = 3 ] && exit 99; echo REAL; exit 7`,
        { timeoutMs: 15_000 },
      );
      if (r.exitCode === 99)
        throw new Error(`writing through /proc/N/fd does not work here: ${summarize(r)}`);
      return { escaped: r.stdout.includes("FORGED-THROUGH-FD"), evidence: `host heard ${summarize(r)}` };
    },
  },
  {
    id: "stop-the-agent",
    category: "channel",
    title: "SIGSTOP or SIGKILL sent to the agent neither hangs the host nor ends the command",
    appliesTo: ["local"],
    async run(ctx) {
      const sb = await ctx.sandbox();
      const agents = "$(grep -lx cl-agent /proc/[0-9]*/comm 2>/dev/null | cut -d/ -f3)";
      const started = Date.now();
      const r = await Promise.race([
        ctx.sh(sb, `for p in ${agents}; do kill -STOP "$p"; done; sleep 1; echo REAL; exit 7`, {
          timeoutMs: 3000,
        }),
        new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 20_000)),
      ]);
      if (!r) return { escaped: true, evidence: "the host still waited for the command after 20 s" };
      const k = await ctx.sh(
        sb,
        `for p in ${agents}; do kill -KILL "$p"; done; sleep 0.2; echo REAL; exit 7`,
      );
      const seconds = (Date.now() - started) / 1000;
      return {
        escaped: r.exitCode !== 7 || k.exitCode !== 7,
        evidence: `after ${seconds.toFixed(1)} s the host heard ${summarize(r)}; after SIGKILL ${summarize(k)}`,
      };
    },
  },
];
