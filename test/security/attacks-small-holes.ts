// Smaller holes found outside the battery (issue 9, item 8): open files without a bound,
// a secret in an LC_-named variable, socket families no build needs (AF_VSOCK to the
// hypervisor first of all), and personality() turning ASLR off.
import type { Attack } from "./attack-context.ts";
import { assertPayloadRan, leakOutcome, probeOutcome, summarize } from "./attack-helpers.ts";

export const smallHoleAttacks: Attack[] = [
  {
    id: "open-files-flood",
    category: "resources",
    title: "six processes opening 10,000 eventfds each stay inside the per-process open-files limit",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const r = await ctx.sh(sb, ctx.payload("bomb", "fds", 6, 10_000), { timeoutMs: 20_000 });
      assertPayloadRan(r, /^fds \d+/m);
      const m = /^fds (\d+) held by (\d+) processes, most (\d+)/m.exec(r.stdout);
      const total = Number(m?.[1] ?? 0);
      const most = Number(m?.[3] ?? 0);
      const { openFiles, maxProcesses } = ctx.limits;
      return {
        escaped: most > openFiles * 1.25 || total > openFiles * maxProcesses,
        evidence: `held ${total} eventfds at once, at most ${most} in one process, against ${openFiles} per process (${summarize(r).slice(0, 80)})`,
      };
    },
  },
  {
    id: "lc-named-secret",
    category: "secrets",
    title:
      "a secret in a host variable named LC_SECRET_TOKEN is not passed in (only real locale variables are)",
    async run(ctx) {
      const saved = process.env.LC_SECRET_TOKEN;
      process.env.LC_SECRET_TOKEN = ctx.fixture.secretToken;
      try {
        // A warm spare was booted before the variable was set; this sandbox must not be one.
        return await leakOutcome(ctx, 'env | grep "^LC_"; echo "LC_SECRET_TOKEN=$LC_SECRET_TOKEN"', {
          warmPool: false,
        });
      } finally {
        if (saved === undefined) delete process.env.LC_SECRET_TOKEN;
        else process.env.LC_SECRET_TOKEN = saved;
      }
    },
  },
  {
    id: "socket-families",
    category: "kernel",
    title: "AF_VSOCK, AF_PACKET, AF_ALG, AF_KEY, AF_XDP and netlink beyond routing cannot be opened",
    async run(ctx) {
      const outcome = await probeOutcome(ctx, ["families"]);
      // Stopping the attack by breaking networking would be no fix: the families a build needs work.
      if (!/needed: unix yes inet yes inet6 yes netlink-route yes/.test(outcome.evidence))
        throw new Error(`a needed socket family does not work: ${outcome.evidence}`);
      return outcome;
    },
  },
  {
    id: "personality-aslr",
    category: "kernel",
    title: "personality(ADDR_NO_RANDOMIZE) cannot turn ASLR off",
    run: (ctx) => probeOutcome(ctx, ["personality"]),
  },
];
