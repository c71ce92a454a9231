// Attacks on `diff`, the one place where the host reads what the sandbox made: racing a
// folder against a symlink to a host folder while the host copies (the old check-then-copy
// through /proc/<pid>/root put a 0600 private key into the patch), and leaving files that cost
// the sandbox nothing but would cost the host a lot to stage (sparse files, tens of thousands of empty ones).
import { lstatSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { Attack } from "./attack-context.ts";
import { pause, summarize } from "./attack-helpers.ts";
import { diffBomb } from "./attacks-resources.ts";

const mib = 1024 ** 2;

/** Real bytes (allocated blocks, each inode once) under the host's diff staging folders that `before` did not hold. */
function stagedBytes(before: Set<string>): number {
  let total = 0;
  const seen = new Set<string>();
  const walk = (path: string) => {
    try {
      const st = lstatSync(path);
      if (!seen.has(`${st.dev}:${st.ino}`)) total += st.blocks * 512;
      seen.add(`${st.dev}:${st.ino}`);
      if (st.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
    } catch {}
  };
  for (const name of readdirSync(tmpdir()))
    if (name.startsWith("closedloop-diff-") && !before.has(name)) walk(join(tmpdir(), name));
  return total;
}

export const diffAttacks: Attack[] = [
  {
    id: "diff-symlink-race",
    category: "files",
    title: "a folder swapped for a symlink to ~/.ssh while diff copies gets no host file into the patch",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const key = ctx.fixture.fakeKeyFile;
      const swapper = await sb.start(ctx.payload("forge", "swap", "race", basename(key), dirname(key), 20));
      await pause(500);
      let leaked = 0;
      let diffs = 0;
      const thrown: string[] = [];
      const until = Date.now() + 12_000;
      while (Date.now() < until && diffs < 40) {
        diffs++;
        try {
          if ((await sb.diff()).includes(ctx.fixture.secretToken)) leaked++;
        } catch (error) {
          // A path that changes type under the copy must be a clean, typed refusal.
          const e = error as Error;
          if (e.name !== "SandboxDiffError") thrown.push(`${e.name}: ${e.message.slice(0, 80)}`);
        }
      }
      const said = swapper.logs().slice(0, 120).replace(/\s+/g, " ");
      await swapper.kill();
      return {
        escaped: leaked > 0 || thrown.length > 0,
        evidence: `${leaked} of ${diffs} patches carried the host key; ${thrown.length} untyped errors ${thrown.slice(0, 2).join("; ")} (${said})`,
      };
    },
  },
  {
    id: "diff-sparse-staging",
    category: "resources",
    title: "30 sparse 60 MiB files do not make diff stage more than the disk budget on the host",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const made = await ctx.sh(
        sb,
        "for i in $(seq 30); do truncate -s 60M sparse$i.bin || exit 1; done; du -sk .",
      );
      if (made.exitCode !== 0) throw new Error(`could not make the sparse files: ${summarize(made)}`);
      const before = new Set(readdirSync(tmpdir()).filter((n) => n.startsWith("closedloop-diff-")));
      let peak = 0;
      let running = true;
      const sampler = (async () => {
        while (running) {
          peak = Math.max(peak, stagedBytes(before));
          await pause(20);
        }
      })();
      const diff = sb.diff().then(
        (patch) =>
          `diff of ${(patch.length / 1024).toFixed(0)} KiB, ${patch.split("\n").filter((l) => l.startsWith("# closedloop:")).length} files left out`,
        (error: Error) => `diff threw ${error.message.slice(0, 100)}`,
      );
      const outcome = await Promise.race([diff, pause(15_000).then(() => "diff still running after 15 s")]);
      running = false;
      await sampler;
      return {
        escaped: peak > ctx.limits.diskBytes * 1.25,
        evidence: `staged up to ${(peak / mib).toFixed(0)} MiB on the host against a ${ctx.limits.diskBytes / mib} MiB disk budget; ${outcome}`,
      };
    },
  },
  {
    id: "diff-many-files",
    category: "resources",
    title: "30,000 empty files make diff refuse quickly, without growing the host process",
    run: (ctx) =>
      diffBomb(
        ctx,
        "mkdir many && cd many && perl -e 'for (1..30000) { open(my $f, \">\", $_) or last }' && ls | wc -l",
        { timeoutMs: 60_000 },
      ),
  },
];
