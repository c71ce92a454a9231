// Secret attacks: a planted secret file in /root and in a host temp dir, a secret in the
// host's environment, ~/.ssh (a planted fake key, and only the existence of the real one),
// the environment of pid 1 and of every visible process, and /etc/shadow. Nothing here
// prints real key material: leaks are detected by the planted token and reported as such.
import { readFileSync } from "node:fs";
import type { Attack } from "./attack-context.ts";
import { leakOutcome, q, summarize } from "./attack-helpers.ts";

/** comm and start time of the host's pid 1: enough to recognise it, nothing private. */
function initIdentity(stat: string): string {
  const end = stat.lastIndexOf(")");
  return end < 0 ? "unknown" : `${stat.slice(0, end + 1)} ${stat.slice(end + 2).split(" ")[19]}`;
}

function hostInitIdentity(): string {
  try {
    return initIdentity(readFileSync("/proc/1/stat", "utf8"));
  } catch {
    return "unknown";
  }
}

export const secretAttacks: Attack[] = [
  {
    id: "secret-root-file",
    category: "secrets",
    title: "a secret file planted in /root cannot be read",
    run: (ctx) => leakOutcome(ctx, `cat ${q(ctx.fixture.rootSecretFile)}; cat /root/cl-sec-*-secret.txt`),
  },
  {
    id: "secret-temp-file",
    category: "secrets",
    title: "a secret file in a host temp dir outside the workspace cannot be read",
    run: (ctx) =>
      leakOutcome(
        ctx,
        `cat ${q(ctx.fixture.secretFile)}; cat /tmp/cl-sec-*/host/secret.txt 2>/dev/null; true`,
      ),
  },
  {
    id: "secret-env",
    category: "secrets",
    title: "a secret in the host's environment is not visible inside",
    run: (ctx) => leakOutcome(ctx, `env; echo "$${ctx.fixture.envSecretName}"`),
  },
  {
    id: "ssh-keys",
    category: "secrets",
    title: "the host's ~/.ssh keys can be neither read nor listed",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const r = await ctx.sh(
        sb,
        `cat ~/.ssh/id_ed25519 ${q(ctx.fixture.fakeKeyFile)} 2>&1; echo "HOME=$HOME"; if [ -r /root/.ssh ] && [ -n "$(ls -A /root/.ssh 2>/dev/null)" ]; then echo "real-ssh-listable $(ls -A /root/.ssh | wc -l)"; fi`,
      );
      const fake = r.stdout.includes(ctx.fixture.secretToken);
      // Only the count of entries in the real ~/.ssh is ever printed, never a name or a byte.
      const real = /real-ssh-listable (\d+)/.exec(r.stdout);
      return {
        escaped: fake || real !== null,
        evidence: fake
          ? "the planted fake key was read"
          : real
            ? `the real /root/.ssh is listable (${real[1]} entries)`
            : summarize({ ...r, stdout: r.stdout.replace(/-----BEGIN[^\n]*\n[^\n]*/g, "<key>") }),
      };
    },
  },
  {
    id: "proc-1-environ",
    category: "secrets",
    title: "/proc/1/environ is neither the host init's environment nor carries a host secret",
    async run(ctx) {
      const sb = await ctx.sandbox();
      // The host's init is recognised by its /proc/1/stat (name and start time); its
      // environment is never read or printed here, only whether the sandbox could read it.
      const r = await ctx.sh(
        sb,
        'head -1 /proc/1/stat; n=$(cat /proc/1/environ | wc -c) && echo "environ-bytes $n"',
      );
      const hostInit = initIdentity(r.stdout.split("\n")[0] ?? "") === hostInitIdentity();
      const readable = /environ-bytes [1-9]/.test(r.stdout);
      const sb2 = await ctx.sandbox();
      const leak = await ctx.sh(sb2, "cat /proc/1/environ");
      const leaked = leak.stdout.includes(ctx.fixture.secretToken);
      return {
        escaped: leaked || (hostInit && readable),
        evidence: leaked
          ? "pid 1's environment carries the host secret"
          : `pid 1 is ${hostInit ? "the host's init" : "the sandbox's own"}, environ ${readable ? "readable" : "unreadable"}`,
      };
    },
  },
  {
    id: "proc-environ-scan",
    category: "secrets",
    title: "scanning every visible /proc/*/environ finds no host secret",
    run: (ctx) =>
      leakOutcome(
        ctx,
        `for f in /proc/[0-9]*/environ; do cat "$f" 2>/dev/null; done | tr '\\0' '\\n' | grep ${q(ctx.fixture.envSecretName)}; cat /proc/${process.pid}/environ 2>&1 | head -c 100; true`,
      ),
  },
  {
    id: "etc-shadow",
    category: "secrets",
    title: "the host's /etc/shadow is not readable",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const r = await ctx.sh(sb, 'n=$(cat /etc/shadow | wc -c) && [ "$n" -gt 0 ] && echo "read $n bytes"');
      const read = r.exitCode === 0 && /read \d+ bytes/.test(r.stdout);
      return { escaped: read, evidence: read ? `/etc/shadow: ${r.stdout.trim()}` : summarize(r) };
    },
  },
];
