// The local (bubblewrap) backend: the shared Sandbox contract, plus what only an isolating
// backend promises. If the backend cannot start on this machine these tests fail with the
// preflight message; they are never skipped.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runSandboxContract } from "./contract.ts";
import { createSandbox } from "./index.ts";
import type { Sandbox } from "./types.ts";

runSandboxContract("local");

describe("the local sandbox isolates and limits", () => {
  let dir: string;
  let sb: Sandbox;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "cl-local-"));
    mkdirSync(join(dir, "src"));
    writeFileSync(join(dir, "src", "a.txt"), "a\n");
    mkdirSync(join(dir, ".closedloop", "runs", "r1"), { recursive: true });
    writeFileSync(join(dir, ".closedloop", "runs", "r1", "events.jsonl"), '{"hidden":"check"}\n');
    sb = await createSandbox({
      workspace: dir,
      backend: "local",
      limits: { diskBytes: 8 * 1024 ** 2, maxProcesses: 64, memoryBytes: 256 * 1024 ** 2 },
    });
  });
  after(async () => {
    await sb?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the limit mechanism is reported, and on this machine it is a cgroup", () => {
    assert.match(sb.info.limitMechanism, /^cgroup-v[12]$/);
    assert.equal(sb.info.isolated, true);
  });

  test("closedloop's own run records are hidden from sandboxed code and stay out of the patch", async () => {
    const r = await sb.exec("ls -A .closedloop; echo x > .closedloop/planted");
    assert.equal(r.stdout, "");
    assert.equal(await sb.diff(), "");
  });

  test("sandboxed code never runs as root, even when closedloop does", async () => {
    const r = await sb.exec("id -u");
    assert.notEqual(r.stdout.trim(), "0");
    if (process.getuid?.() === 0) assert.ok(Number(r.stdout) >= 100_000, `uid ${r.stdout.trim()}`);
  });

  test("toolchains installed under the user's home still run, read-only", async () => {
    const r = await sb.exec("python3 -c 'print(6*7)' && cargo --version && touch $PYENV_ROOT/x; echo rc=$?");
    assert.match(r.stdout, /^42$/m, r.stderr);
    assert.match(r.stdout, /cargo \d/);
    assert.match(r.stdout, /rc=1/);
  });

  test("of the host's home only the toolchains' own folders are seen, each named in info with its reason", async () => {
    const home = process.env.HOME ?? "/root";
    const top = (await sb.exec(`ls -A ${home}`)).stdout.split("\n").filter(Boolean);
    // What the home holds besides toolchains (.npmrc, .gitconfig, .config …) is not there at all.
    for (const name of top)
      assert.ok([".pyenv", ".cargo", ".rustup"].includes(name), `${home}/${name} is visible`);
    const inside = await sb.exec(`ls -A ${home}/.pyenv ${home}/.cargo 2>&1`);
    assert.doesNotMatch(inside.stdout, /credentials|README|CHANGELOG/);
    const mounts = sb.info.toolchainMounts ?? [];
    assert.ok(
      mounts.some((m) => m.path.endsWith("/.pyenv/shims") && /PYENV_ROOT/.test(m.reason)),
      JSON.stringify(mounts),
    );
    assert.ok(mounts.some((m) => m.path.endsWith("/.cargo/bin")));
    assert.ok(
      !mounts.some((m) => m.path === home || m.path === `${home}/.cargo` || m.path === `${home}/.pyenv`),
    );
  });

  test("/ and /dev are read-only; /run, /var/tmp, /tmp and HOME are writable and inside the disk budget", async () => {
    const r = await sb.exec(
      "for d in / /dev /usr; do touch $d/cl-probe 2>/dev/null && echo wrote $d; done; for d in /run /var/tmp /tmp $HOME; do touch $d/cl-probe && echo ok $d; done; df -k /run /var/tmp /tmp $HOME | tail -n +2 | awk '{print $2}' | sort -u",
    );
    assert.doesNotMatch(r.stdout, /^wrote/m);
    assert.match(r.stdout, /ok \/run\nok \/var\/tmp\nok \/tmp\nok \/home/);
    // All four places report the one 8 MiB layer.
    assert.equal(
      r.stdout
        .split("\n")
        .filter((l) => /^\d+$/.test(l))
        .join(","),
      String(8 * 1024),
    );
  });

  test("the writable layer, /tmp and HOME share one disk budget, and no file outgrows it", async () => {
    const r = await sb.exec(
      "for f in big1 /tmp/big2 $HOME/big3 big4; do dd if=/dev/zero of=$f bs=1M count=3 2>&1; done; du -sc big1 /tmp/big2 $HOME/big3 big4 2>/dev/null | tail -1",
    );
    assert.match(r.stdout, /No space left on device/);
    const totalKiB = Number(r.stdout.trim().split("\n").pop()?.split(/\s+/)[0]);
    assert.ok(totalKiB <= 8 * 1024, `wrote ${totalKiB} KiB in all`);
    const sparse = await sb.exec("truncate -s 64M sparse; echo rc=$?");
    assert.match(sparse.stdout + sparse.stderr, /File too large|rc=1|rc=153/);
    await sb.exec("rm -f big1 /tmp/big2 $HOME/big3 big4 sparse");
  });

  test("a process count limit stops a fork storm and the sandbox keeps working", async () => {
    const r = await sb.exec("for i in $(seq 1 200); do sleep 3 & done 2>&1 | grep -c 'fork' ; true", {
      timeoutMs: 10_000,
    });
    assert.ok(Number(r.stdout.trim()) > 0, `fork failures seen: ${r.stdout}`);
    const after = await sb.exec("echo alive");
    assert.equal(after.stdout, "alive\n");
  });
});
