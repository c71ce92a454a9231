// File attacks: writing outside the workspace, writing through the workspace into the
// user's real tree, symlink and hardlink escapes (via exec, via the Sandbox file API and
// via the exported patch), the host repo's .git, and another live sandbox's files.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { Socket } from "node:net";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import type { Attack, AttackContext, AttackOutcome } from "./attack-context.ts";
import { leakOutcome, q, summarize } from "./attack-helpers.ts";

const childScript = new URL("./inherited-fd-child.ts", import.meta.url).pathname;

async function hostWrite(ctx: AttackContext, id: string, paths: string[]): Promise<AttackOutcome> {
  const sb = await ctx.sandbox();
  const r = await ctx.sh(sb, paths.map((p) => `echo pwned > ${q(p)}`).join("; "));
  const landed = paths.filter((p) => existsSync(p));
  return {
    escaped: landed.length > 0,
    evidence: landed.length > 0 ? `landed on the host: ${landed.join(", ")}` : `${id}: ${summarize(r)}`,
  };
}

async function apiRefuses(what: () => Promise<unknown>): Promise<string> {
  try {
    const v = await what();
    return v instanceof Uint8Array ? Buffer.from(v).toString("utf8") : "accepted";
  } catch (error) {
    return `refused: ${(error as Error).name}`;
  }
}

export const fileAttacks: Attack[] = [
  {
    id: "write-etc",
    category: "files",
    title: "writing into /etc does not reach the host's /etc",
    run: (ctx) => hostWrite(ctx, "write-etc", [`/etc/cl-sec-${ctx.fixture.marker}-write-etc`]),
  },
  {
    id: "write-host-tmp",
    category: "files",
    title: "a file written to /tmp does not appear in the host's /tmp",
    run: (ctx) => hostWrite(ctx, "write-host-tmp", [`/tmp/cl-sec-${ctx.fixture.marker}-write-host-tmp`]),
  },
  {
    id: "write-home",
    category: "files",
    title: "a file written to the home directory does not land in the host's home",
    run: (ctx) =>
      hostWrite(ctx, "write-home", [
        join(process.getuid?.() === 0 ? "/root" : homedir(), `cl-sec-${ctx.fixture.marker}-write-home`),
        join(ctx.fixture.fakeHome, "pwned-write-home"),
      ]),
  },
  {
    id: "write-beside-workspace",
    category: "files",
    title: "a file written beside the workspace (../) does not reach the host",
    run: (ctx) =>
      hostWrite(ctx, "write-beside-workspace", [join(ctx.fixture.root, "pwned-write-beside-workspace")]),
  },
  {
    id: "workspace-copy-on-write",
    category: "files",
    title: "editing, deleting and chmod-ing workspace files leaves the user's tree byte for byte unchanged",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const r = await ctx.sh(
        sb,
        "echo pwned >> README.md && rm src/main.js && chmod 777 README.md && mkdir -p new && echo x > new/f && rm -rf .clsec/../src",
      );
      // The host-side snapshot (workspace tree hash) decides; this only reports what happened inside.
      return { escaped: false, evidence: `inside: ${summarize(r)}` };
    },
  },
  {
    id: "symlink-exec",
    category: "files",
    title: "a symlink made in the workspace to a host secret reads nothing",
    run: (ctx) =>
      leakOutcome(ctx, `ln -s ${q(ctx.fixture.secretFile)} my-link; cat my-link; cat secret-link`),
  },
  {
    id: "symlink-api-read",
    category: "files",
    title: "readFile refuses a workspace symlink that points at a host secret",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const got = await apiRefuses(() => sb.readFile("secret-link"));
      await ctx.sh(sb, `ln -s ${q(ctx.fixture.secretFile)} fresh-link`);
      const got2 = await apiRefuses(() => sb.readFile("fresh-link"));
      const leaked = `${got}${got2}`.includes(ctx.fixture.secretToken);
      return { escaped: leaked, evidence: leaked ? "readFile returned the host secret" : `${got}; ${got2}` };
    },
  },
  {
    id: "symlink-api-write",
    category: "files",
    title: "writeFile through a workspace symlink to a host directory writes nothing on the host",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const got = await apiRefuses(() => sb.writeFile("outdir/pwned-symlink-api-write", "pwned"));
      const landed = existsSync(join(ctx.fixture.symlinkTargetDir, "pwned-symlink-api-write"));
      return { escaped: landed, evidence: landed ? "writeFile followed the link onto the host" : got };
    },
  },
  {
    id: "hardlink-exec",
    category: "files",
    title: "hardlinking a host secret into the workspace neither reads nor changes it",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const before = readFileSync(ctx.fixture.secretFile, "utf8");
      const r = await ctx.sh(sb, `ln ${q(ctx.fixture.secretFile)} hl && cat hl && echo pwned >> hl`);
      const changed = readFileSync(ctx.fixture.secretFile, "utf8") !== before;
      const leaked = r.stdout.includes(ctx.fixture.secretToken);
      return {
        escaped: changed || leaked,
        evidence: changed ? "the host secret was modified" : leaked ? "the secret was read" : summarize(r),
      };
    },
  },
  {
    id: "hardlink-planted",
    category: "files",
    title:
      "writing to a hardlink that the user's tree shares with a host file leaves the host file unchanged",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const r = await ctx.sh(sb, "echo pwned >> hardlinked.txt; cat hardlinked.txt");
      const host = readFileSync(ctx.fixture.hardlinkTarget, "utf8");
      const changed = host.includes("pwned");
      return {
        escaped: changed,
        evidence: changed ? "the host file was modified" : `inside: ${summarize(r)}`,
      };
    },
  },
  {
    id: "patch-symlink",
    category: "files",
    title:
      "the exported patch carries an outward symlink as a link, never its target's content or paths through it",
    async run(ctx) {
      const sb = await ctx.sandbox();
      await ctx.sh(
        sb,
        `ln -s ${q(ctx.fixture.secretFile)} out-secret; ln -s /etc/shadow out-shadow; ln -s ${q(ctx.fixture.symlinkTargetDir)} out-dir; echo pwned > out-dir/pwned-patch 2>/dev/null; true`,
      );
      let diff = "";
      try {
        diff = await sb.diff();
      } catch (error) {
        diff = `diff threw ${(error as Error).message}`;
      }
      const read = await apiRefuses(() => sb.readFile("out-shadow"));
      const leaks =
        diff.includes(ctx.fixture.secretToken) ||
        /^\+root:/m.test(diff) ||
        /^\+\+\+ b\/out-dir\//m.test(diff);
      const readLeak = !read.startsWith("refused");
      const asLink = (diff.match(/new file mode 120000/g) ?? []).length;
      return {
        escaped: leaks || readLeak,
        evidence: `diff ${leaks ? "LEAKS" : "clean"}, ${asLink} symlink(s) shown as mode 120000; readFile(out-shadow) ${readLeak ? "returned data" : read}`,
      };
    },
  },
  {
    id: "git-dir",
    category: "files",
    title: "a hook and a config change written into .git reach neither the host repo nor the patch",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const r = await ctx.sh(
        sb,
        "printf '[core]\\n\\thooksPath = /tmp\\n' >> .git/config && printf '#!/bin/sh\\necho pwned\\n' > .git/hooks/post-checkout && chmod +x .git/hooks/post-checkout",
      );
      let diff = "";
      try {
        diff = await sb.diff();
      } catch (error) {
        diff = `diff threw ${(error as Error).message}`;
      }
      const inPatch = /^diff --git a\/\.git\//m.test(diff);
      // The host .git hash is compared by the runner's snapshot.
      return {
        escaped: inPatch,
        evidence: inPatch ? "the patch carries .git internals" : `inside: ${summarize(r)}`,
      };
    },
  },
  {
    id: "peer-sandbox-files",
    category: "files",
    title: "a sandbox cannot find or read the files of another live sandbox",
    async run(ctx) {
      const peer = await ctx.sandbox();
      await peer.writeFile(`peer-secret-${ctx.fixture.marker}.txt`, ctx.fixture.secretToken);
      const find = `timeout 8 find /tmp /var/tmp /dev/shm /run /root /home /srv /opt -maxdepth 7 -name 'peer-secret-*' 2>/dev/null | head -5`;
      return leakOutcome(
        ctx,
        `for f in $(${find}); do cat "$f"; done; cat ./peer-secret-*.txt 2>/dev/null; true`,
      );
    },
  },
  {
    id: "fd-and-cwd-leak",
    category: "files",
    title: "no visible process's open directory or cwd leads to host files",
    async run(ctx) {
      ctx.hostProcess();
      const sb = await ctx.sandbox();
      const script = [
        'for p in /proc/[0-9]*; do for d in $p/cwd $p/root $p/fd/*; do [ -d "$d" ] || continue;',
        'for s in secret.txt host/secret.txt ../host/secret.txt ../../host/secret.txt; do cat "$d/$s" 2>/dev/null; done;',
        "done; done; echo scanned",
      ].join(" ");
      const r = await ctx.sh(sb, script);
      const leaked = r.stdout.includes(ctx.fixture.secretToken);
      return {
        escaped: leaked,
        evidence: leaked ? "a host secret was read through /proc/<pid>/{cwd,fd}" : summarize(r),
      };
    },
  },
  {
    id: "patch-path-injection",
    category: "files",
    title:
      "applying the exported patch, with hostile file names and an upward symlink, writes nothing outside the tree",
    async run(ctx) {
      const sb = await ctx.sandbox();
      await ctx.sh(
        sb,
        // Names cannot hold "/", so the hostile part is header syntax: newlines, quotes, "diff --git".
        "printf x > \"$(printf 'nl\\n+++ b')\"; printf y > 'q\" b'; printf z > ' diff --git a'; printf w > \"$(printf 'rn\\nrename to ')\"; ln -s .. up; true",
      );
      const diff = await sb.diff();
      const scratch = join(ctx.fixture.root, `apply-${ctx.token}`, "ws");
      mkdirSync(dirname(scratch), { recursive: true });
      execFileSync("cp", ["-a", ctx.fixture.workspace, scratch]);
      const patch = join(dirname(scratch), "change.patch");
      writeFileSync(patch, diff);
      const applied = spawnSync("git", ["apply", "--whitespace=nowarn", patch], {
        cwd: scratch,
        encoding: "utf8",
      });
      const outside = readdirSync(dirname(scratch)).filter((n) => n !== "ws" && n !== "change.patch");
      const landed = existsSync(join(ctx.fixture.root, "pwned-patch-path-injection"));
      rmSync(dirname(scratch), { recursive: true, force: true });
      return {
        escaped: landed || outside.length > 0,
        evidence: `${(diff.match(/^diff --git /gm) ?? []).length} entries in the patch; git apply exit ${applied.status}${applied.stderr ? `: ${applied.stderr.trim().slice(0, 120)}` : ""}; outside the tree: ${landed || outside.length ? outside.join(",") || "pwned file" : "nothing"}`,
      };
    },
  },
  {
    id: "toolchain-write",
    category: "files",
    title: "toolchain folders under the real home (pyenv, cargo, rustup, nvm) cannot be written",
    async run(ctx) {
      const home = ctx.fixture.realHome ?? "/root";
      const targets = [".pyenv", ".pyenv/shims", ".cargo/bin", ".rustup", ".nvm", ".local/bin"].map((d) =>
        join(home, d, `cl-sec-${ctx.fixture.marker}-toolchain-write`),
      );
      // Only this sandbox sees the real HOME, so the toolchain folders are bound as in real use.
      const fake = process.env.HOME;
      process.env.HOME = home;
      let sb: Awaited<ReturnType<typeof ctx.sandbox>>;
      try {
        sb = await ctx.sandbox();
      } finally {
        process.env.HOME = fake;
      }
      const r = await ctx.sh(sb, targets.map((t) => `echo pwned > ${q(t)}`).join("; "));
      const landed = targets.filter((t) => existsSync(t));
      for (const t of landed) rmSync(t, { force: true });
      return {
        escaped: landed.length > 0,
        evidence: landed.length > 0 ? `landed on the host: ${landed.join(", ")}` : summarize(r),
      };
    },
  },
  {
    id: "inherited-fd",
    category: "files",
    title: "a file descriptor the host process inherited does not leak into sandboxed commands",
    async run(ctx) {
      // A FIFO opened by bash onto fd 200: a plain pipe fd without close-on-exec, the kind a
      // parent shell or CI runner leaves open (Node's own "pipe" stdio are socketpairs).
      const fifo = join(ctx.fixture.hostDir, `fifo-${ctx.token}`);
      spawnSync("mkfifo", [fifo]);
      // Read-write, so the FIFO never reads as closed before the child opens it.
      const reader = new Socket({ fd: openSync(fifo, constants.O_RDWR), readable: true, writable: false });
      const args = ["--import", "tsx", childScript, ctx.fixture.workspace, ctx.backend, ctx.token];
      const child = spawn("bash", ["-c", 'exec "$0" "$@" 200>"$FIFO"', process.execPath, ...args], {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, FIFO: fifo },
      });
      const read = (stream: NodeJS.ReadableStream | null | undefined) => {
        const chunks: Buffer[] = [];
        stream?.on("data", (c: Buffer) => chunks.push(c));
        return () => Buffer.concat(chunks).toString("utf8");
      };
      const leaked = read(reader);
      const out = read(child.stdout);
      const err = read(child.stderr);
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        child.on("exit", (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      await new Promise((r) => setTimeout(r, 100));
      reader.destroy();
      rmSync(fifo, { force: true });
      if (!out().includes("scanned"))
        throw new Error(`the helper did not run (exit ${code}): ${err().slice(-300)}`);
      const got = leaked().includes(ctx.token);
      return {
        escaped: got,
        evidence: got
          ? `the sandbox wrote into the host's pipe (${out().trim().split("\n")[0]})`
          : out().trim(),
      };
    },
  },
  {
    id: "readfile-fifo",
    category: "files",
    title: "readFile of a FIFO made inside does not hang the host's call",
    async run(ctx) {
      const sb = await ctx.sandbox();
      await ctx.sh(sb, "mkfifo trap-fifo");
      const start = Date.now();
      const outcome = await Promise.race([
        sb.readFile("trap-fifo").then(
          (b) => `returned ${b.length} bytes`,
          (e: Error) => `refused: ${e.name}`,
        ),
        new Promise<string>((r) => setTimeout(() => r("still waiting after 10 s"), 10_000)),
      ]);
      // Unblock a reader that is still waiting (a host thread on the process backend).
      await ctx.sh(sb, "exec 3<>trap-fifo; exec 3>&-", { timeoutMs: 2000 });
      const seconds = (Date.now() - start) / 1000;
      return { escaped: outcome.startsWith("still"), evidence: `${outcome} after ${seconds.toFixed(1)} s` };
    },
  },
];
