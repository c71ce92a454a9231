// Holes in the disk budget (issue 9, item 4): bubblewrap's own tmpfs for `/`, `/dev` and
// `/run` had no size, so 1.8 GiB was stored outside the 1 GiB budget; empty files take no
// blocks at all, only inodes (kernel memory). Each attack writes into every place a process
// could write, holding everything at once, and the host removes whatever is left (the
// unsandboxed backend writes to the host's own /, /dev and /run, which is the point).
import { rmSync } from "node:fs";
import type { Attack } from "./attack-context.ts";
import { assertPayloadRan, summarize } from "./attack-helpers.ts";

const mib = 1024 ** 2;
const perPlaceMiB = 40;

/** Every place a program might write to; the sandbox may have only the budgeted ones. */
function places(marker: string): string[] {
  const name = `cl-sec-${marker}-budget.bin`;
  return [
    `/${name}`,
    `/dev/${name}`,
    `/run/${name}`,
    `/var/tmp/${name}`,
    `/var/${name}`,
    `/home/${name}`,
    `/dev/shm/${name}`,
    `/tmp/${name}`,
    `$HOME/${name}`,
    `./${name}`,
    `./.closedloop/${name}`,
  ];
}

export const diskBudgetAttacks: Attack[] = [
  {
    id: "disk-budget-everywhere",
    category: "resources",
    title:
      "/, /dev, /run, /var/tmp, /tmp, $HOME, /dev/shm and the workspace together hold no more than the disk and shm limits",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const paths = places(ctx.fixture.marker);
      const bytes = perPlaceMiB * mib;
      // Everything stays until the end, so the sum is what was held at once.
      const script = [
        ...paths.map(
          (p) =>
            `head -c ${bytes} /dev/zero > "${p}" 2>/dev/null; echo "held $(( $(stat -c %s "${p}" 2>/dev/null || echo 0) / 1048576 )) ${p}"`,
        ),
        `rm -f ${paths.map((p) => `"${p}"`).join(" ")}`,
      ].join("; ");
      let r: Awaited<ReturnType<typeof ctx.sh>>;
      try {
        r = await ctx.sh(sb, script, { timeoutMs: 30_000 });
      } finally {
        for (const p of paths) if (p.startsWith("/")) rmSync(p, { force: true });
      }
      assertPayloadRan(r, /^held \d+ /m);
      const held = [...r.stdout.matchAll(/^held (\d+) (\S+)/gm)].map((m) => ({
        mib: Number(m[1]),
        at: m[2]!,
      }));
      const total = held.reduce((n, h) => n + h.mib, 0);
      const limit = (ctx.limits.diskBytes + ctx.limits.shmBytes) / mib;
      const where = held
        .filter((h) => h.mib > 0)
        .map((h) => `${h.at.replace(/cl-sec-.*-budget\.bin$/, "")}${h.mib}`)
        .join(" ");
      return {
        escaped: total > limit * 1.25,
        evidence: `held ${total} MiB at once against ${limit} MiB of disk + shm limits (${where})`,
      };
    },
  },
  {
    id: "disk-budget-inodes",
    category: "resources",
    title: "25,000 empty files (no disk blocks) stop at the writable layer's inode limit",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const dir = `cl-sec-${ctx.fixture.marker}-inodes`;
      const r = await ctx.sh(
        sb,
        `mkdir -p "$TMPDIR/${dir}" && ${ctx.payload("bomb", "files", 25_000, `$TMPDIR/${dir}`).replace(`'$TMPDIR/${dir}'`, `"$TMPDIR/${dir}"`)}; rm -rf "$TMPDIR/${dir}"`,
        { timeoutMs: 40_000 },
      );
      assertPayloadRan(r, /^files \d+ made/m);
      const made = Number(/^files (\d+) made/m.exec(r.stdout)?.[1] ?? 0);
      // cl-launch gives the layer one inode per 4 KiB of its size, at least 4096.
      const budget = Math.max(4096, Math.floor(ctx.limits.diskBytes / 4096));
      return {
        escaped: made > budget * 1.25,
        evidence: `made ${made} empty files against an inode budget of ${budget} (${summarize(r).slice(0, 100)})`,
      };
    },
  },
];
