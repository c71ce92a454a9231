// The Sandbox contract: one node:test suite every backend must pass, run from each backend's
// integration test (`runSandboxContract("process")`, `runSandboxContract("local")`). The
// tests only use the interface and host-visible facts (pids in /proc, the user's files),
// never a backend's paths, so an isolated backend passes the same suite.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { findFreePort } from "../util/index.ts";
import {
  applyToPristineCopy,
  type ContractFixture,
  createContractFixture,
  hostManifest,
  manifestCommand,
  pidsWithMarker,
  snapshotTree,
} from "./contract-fixture.ts";
import { PathOutsideWorkspaceError } from "./errors.ts";
import { createSandbox, defaultLimits } from "./index.ts";
import type { BackendName, Sandbox, SandboxPolicy } from "./types.ts";

export interface SandboxContractOptions {
  /** Extra policy for every sandbox the suite creates. */
  policy?: Partial<SandboxPolicy>;
}

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString("utf8");

async function waitUntil(check: () => boolean, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

export function runSandboxContract(backend: BackendName, options: SandboxContractOptions = {}): void {
  describe(`the ${backend} sandbox keeps the Sandbox contract`, () => {
    let fx: ContractFixture;
    let userTree: Map<string, string>;
    let sb: Sandbox;
    let root: string;
    const hostSecretValue = `host-secret-${randomBytes(6).toString("hex")}`;
    const sandboxes: Sandbox[] = [];

    const create = async (policy: Partial<SandboxPolicy> = {}) => {
      const s = await createSandbox({
        workspace: fx.workspace,
        backend,
        quiet: true,
        ...options.policy,
        ...policy,
      });
      sandboxes.push(s);
      return s;
    };

    before(async () => {
      process.env.CLOSEDLOOP_TEST_SECRET = hostSecretValue;
      process.env.CLOSEDLOOP_TEST_PASSED = "passed-through";
      fx = createContractFixture();
      userTree = snapshotTree(fx.base);
      sb = await create({ env: ["CLOSEDLOOP_TEST_PASSED"], setEnv: { CLOSEDLOOP_SET: "set-inside" } });
      root = (await sb.exec("pwd")).stdout.trim();
    });

    after(async () => {
      for (const s of sandboxes) await s.dispose();
      delete process.env.CLOSEDLOOP_TEST_SECRET;
      delete process.env.CLOSEDLOOP_TEST_PASSED;
      rmSync(fx.base, { recursive: true, force: true });
    });

    test("exec returns the exit code and keeps stdout and stderr apart", async () => {
      const r = await sb.exec("echo out; echo err >&2; exit 3");
      assert.equal(r.exitCode, 3);
      assert.equal(r.signal, null);
      assert.equal(r.stdout, "out\n");
      assert.equal(r.stderr, "err\n");
      assert.equal(r.timedOut, false);
      assert.equal(r.truncated, false);
      assert.ok(r.durationMs >= 0);
    });

    test("info names the backend, the user's workspace and the effective limits", async () => {
      assert.equal(sb.info.backend, backend);
      assert.equal(sb.info.workspace, fx.workspace);
      assert.deepEqual(sb.info.limits, { ...defaultLimits, ...options.policy?.limits });
      assert.ok(sb.info.id.length > 0);
      const other = await create({ limits: { timeoutMs: 1234 } });
      assert.equal(other.info.limits.timeoutMs, 1234);
      assert.notEqual(other.info.id, sb.info.id);
    });

    test("a job a command leaves in the background does not hold the command open", async () => {
      const r = await sb.exec("sleep 30 & echo started", { timeoutMs: 20_000 });
      assert.equal(r.exitCode, 0);
      assert.equal(r.stdout, "started\n");
      assert.equal(r.timedOut, false);
      assert.ok(r.durationMs < 5000, `took ${r.durationMs} ms`);
    });

    test("two commands can run at the same time", async () => {
      const [slow, fast] = await Promise.all([sb.exec("sleep 0.3; echo slow"), sb.exec("echo fast")]);
      assert.equal(slow.stdout, "slow\n");
      assert.equal(fast.stdout, "fast\n");
    });

    test("a command killed by a signal reports the signal and no exit code", async () => {
      const r = await sb.exec("kill -TERM $$");
      assert.equal(r.exitCode, null);
      assert.equal(r.signal, "SIGTERM");
    });

    test("stdout and stderr stream to the callbacks while the command runs", async () => {
      const seen: { stream: string; text: string; at: number }[] = [];
      const r = await sb.exec("echo first; echo warn >&2; sleep 0.4; echo second", {
        onStdout: (c) => seen.push({ stream: "out", text: text(c), at: Date.now() }),
        onStderr: (c) => seen.push({ stream: "err", text: text(c), at: Date.now() }),
      });
      const done = Date.now();
      assert.equal(r.stdout, "first\nsecond\n");
      const first = seen.find((s) => s.text.includes("first"));
      assert.ok(first && done - first.at >= 250, "the first line arrived before the command ended");
      assert.ok(seen.some((s) => s.stream === "err" && s.text.includes("warn")));
    });

    test("stdin is passed to the command, and a command without stdin sees end of input", async () => {
      assert.equal((await sb.exec("cat", { stdin: "hello stdin" })).stdout, "hello stdin");
      assert.equal((await sb.exec("cat", { stdin: new Uint8Array([104, 105]) })).stdout, "hi");
      const r = await sb.exec("cat; echo done", { timeoutMs: 5000 });
      assert.equal(r.timedOut, false);
      assert.equal(r.stdout, "done\n");
    });

    test("host secrets stay out while allowlisted, passed-through and given variables are in", async () => {
      const r = await sb.exec("env", { env: { EXEC_VAR: "from-exec" } });
      assert.ok(!r.stdout.includes(hostSecretValue), "the host secret is not visible");
      assert.ok(!r.stdout.includes("CLOSEDLOOP_TEST_SECRET"));
      assert.match(r.stdout, /^CLOSEDLOOP_TEST_PASSED=passed-through$/m);
      assert.match(r.stdout, /^CLOSEDLOOP_SET=set-inside$/m);
      assert.match(r.stdout, /^EXEC_VAR=from-exec$/m);
      assert.match(r.stdout, /^PATH=/m);
      const home = await sb.exec('test "$HOME" != "$HOST_HOME" && ls -A "$HOME" | wc -l && touch "$HOME/w"', {
        env: { HOST_HOME: process.env.HOME ?? "/root" },
      });
      assert.equal(home.exitCode, 0, home.stderr);
      assert.equal(home.stdout.trim(), "0", "HOME starts empty");
    });

    test("the working directory carries over after cd, also when the command fails", async () => {
      const r1 = await sb.exec("mkdir -p cwd-test/deeper && cd cwd-test");
      assert.equal(r1.cwd, `${root}/cwd-test`);
      assert.equal((await sb.exec("pwd")).stdout.trim(), `${root}/cwd-test`);
      const r2 = await sb.exec("cd deeper; false");
      assert.equal(r2.exitCode, 1);
      assert.equal((await sb.exec("pwd")).stdout.trim(), `${root}/cwd-test/deeper`);
      assert.equal((await sb.exec("pwd", { cwd: root })).stdout.trim(), root);
      assert.equal((await sb.exec("pwd", { cwd: "src" })).stdout.trim(), `${root}/src`);
      await sb.exec(`cd ${root}`);
      assert.equal((await sb.exec("pwd")).stdout.trim(), root);
    });

    test("a timeout kills the command and its grandchildren, and the next command runs", async () => {
      const marker = `${3000 + Math.floor(Math.random() * 1000)}.${randomBytes(3).readUIntBE(0, 3)}`;
      const r = await sb.exec(`sleep ${marker} & sleep ${marker}`, { timeoutMs: 500 });
      assert.equal(r.timedOut, true);
      assert.notEqual(r.exitCode, 0);
      assert.ok(r.durationMs < 5000, `took ${r.durationMs} ms`);
      // Host /proc also lists processes of child PID namespaces; zombies have an empty cmdline.
      assert.ok(await waitUntil(() => pidsWithMarker(marker).length === 0), "the grandchild is gone");
      assert.equal((await sb.exec("echo next")).stdout, "next\n");
    });

    test("an abort signal stops a running command", async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 200);
      const r = await sb.exec("sleep 100", { signal: controller.signal });
      assert.equal(r.timedOut, false);
      assert.notEqual(r.exitCode, 0);
      assert.ok(r.durationMs < 5000);
      assert.equal((await sb.exec("echo after")).stdout, "after\n");
    });

    test("output past the limit is cut, flagged, and still counted", async () => {
      const small = await create({ limits: { outputBytes: 1000 } });
      const r = await small.exec("head -c 5000 /dev/zero | tr '\\0' a");
      assert.equal(r.exitCode, 0);
      assert.equal(r.truncated, true);
      assert.ok(r.stdout.length <= 1000 && r.stdout.length > 0);
      assert.equal(r.outputBytes, 5000);
      const ok = await small.exec("echo fits");
      assert.equal(ok.truncated, false);
      assert.equal(ok.outputBytes, 5);
    });

    test("readFile, writeFile and list see the same files as commands", async () => {
      await sb.writeFile("notes/new.txt", "written by writeFile");
      assert.equal((await sb.exec("cat notes/new.txt")).stdout, "written by writeFile");
      await sb.exec("printf abc > from-exec.txt");
      assert.equal(text(await sb.readFile("from-exec.txt")), "abc");
      assert.equal(text(await sb.readFile(`${root}/README.md`)), "hello\n");
      const entries = await sb.list(".");
      const byName = new Map(entries.map((e) => [e.name, e]));
      assert.deepEqual(byName.get("README.md"), { name: "README.md", type: "file", size: 6 });
      assert.equal(byName.get("src")?.type, "dir");
      assert.equal(byName.get("link-to-readme")?.type, "symlink");
      assert.deepEqual(
        (await sb.list("src")).map((e) => e.name),
        ["main.js"],
      );
    });

    test("file access outside the workspace is refused, through .., absolute paths and symlinks", async () => {
      const refused = [
        () => sb.readFile("../outside/secret.txt"),
        () => sb.readFile("src/../../outside/secret.txt"),
        () => sb.readFile("/etc/hostname"),
        () => sb.readFile("escape-link"),
        () => sb.readFile("escape-dir/secret.txt"),
        () => sb.writeFile("escape-dir/planted.txt", "x"),
        () => sb.writeFile("dangling-out", "x"),
        () => sb.writeFile("../planted.txt", "x"),
        () => sb.list(".."),
        () => sb.list("escape-dir"),
      ];
      for (const attempt of refused) await assert.rejects(attempt, PathOutsideWorkspaceError);
      assert.equal(existsSync(`${fx.outside}/not-yet.txt`), false);
      assert.equal(existsSync(`${fx.outside}/planted.txt`), false);
    });

    test("a background server logs, is reachable through exposePort, and dies on kill", async () => {
      const port = await findFreePort();
      const server = `require("http").createServer((q, s) => s.end("hi from sandbox")).listen(${port}, "127.0.0.1", () => console.log("listening ${port}"))`;
      const lines: string[] = [];
      const proc = await sb.start(`exec node -e '${server}'`);
      proc.onLog((line) => lines.push(line));
      await proc.waitForPort(port, 10_000);
      assert.equal(proc.isRunning(), true);
      assert.ok(await waitUntil(() => proc.logs().includes(`listening ${port}`)));
      assert.ok(await waitUntil(() => lines.includes(`listening ${port}`)));
      const exposed = await sb.exposePort(port);
      const body = await (await fetch(`http://${exposed.host}:${exposed.port}/`)).text();
      assert.equal(body, "hi from sandbox");
      await exposed.close();
      await proc.kill();
      assert.equal(proc.isRunning(), false);
      await proc.exited;
      const probe = `node -e 'require("net").connect(${port}, "127.0.0.1").on("connect", () => process.exit(0)).on("error", () => process.exit(1))'`;
      assert.equal((await sb.exec(probe)).exitCode, 1, "nothing listens after kill");
    });

    test("waitForPort fails when the process exits without listening", async () => {
      const proc = await sb.start("echo bye; exit 4");
      await assert.rejects(proc.waitForPort(await findFreePort(), 5000), /exited/);
      assert.deepEqual(await proc.exited, { exitCode: 4, signal: null });
    });

    test("diff is empty before any change", async () => {
      const fresh = await create();
      assert.equal(await fresh.diff(), "");
    });

    test("diff covers new, deleted, renamed, binary, mode and symlink changes and applies with git apply", async () => {
      const s = await create();
      const sRoot = (await s.exec("pwd")).stdout.trim();
      const r = await s.exec(
        [
          "printf 'changed\\n' >> README.md",
          "printf 'brand new\\n' > added.txt",
          ": > new-empty.txt",
          "rm to-delete.txt",
          "mv to-rename.txt renamed.txt",
          "head -c 2048 /dev/urandom > data.bin",
          "printf '\\000\\001\\002binary' > new.bin",
          "chmod +x plain-to-exec.txt",
          "chmod -x run.sh",
          "ln -s src/main.js new-link",
          "rm link-to-readme && ln -s src/main.js link-to-readme",
          "printf 'still no newline' > no-newline.txt",
          "mkdir -p deep/er && printf 'x\\n' > deep/er/file.txt",
          "git add -A",
        ].join(" && "),
      );
      assert.equal(r.exitCode, 0, r.stderr);
      const patch = await s.diff();
      assert.match(patch, /^diff --git a\/README\.md b\/README\.md$/m);
      assert.match(patch, /^new file mode 100644$/m);
      assert.match(patch, /^deleted file mode 100644$/m);
      assert.match(patch, /^rename from to-rename\.txt\nrename to renamed\.txt$/m);
      assert.match(patch, /^GIT binary patch$/m);
      assert.match(patch, /^old mode 100644\nnew mode 100755$/m);
      assert.match(patch, /^old mode 100755\nnew mode 100644$/m);
      assert.match(patch, /^new file mode 120000$/m);
      assert.match(patch, /^\\ No newline at end of file$/m);
      assert.doesNotMatch(patch, /(^|[\s/])\.git\//m, "no .git internals");
      const applied = applyToPristineCopy(fx.workspace, patch);
      try {
        const inside = await s.exec(manifestCommand, { cwd: sRoot });
        assert.equal(inside.exitCode, 0, inside.stderr);
        assert.equal(hostManifest(applied), inside.stdout);
      } finally {
        rmSync(applied, { recursive: true, force: true });
      }
    });

    test("reset returns to the baseline and stops background processes", async () => {
      const s = await create();
      const sRoot = (await s.exec("pwd")).stdout.trim();
      const marker = `${4000 + Math.floor(Math.random() * 1000)}.${randomBytes(3).readUIntBE(0, 3)}`;
      const proc = await s.start(`sleep ${marker}`);
      await s.exec("rm README.md && echo junk > junk.txt && mkdir -p sub && cd sub");
      await s.writeFile("src/main.js", "overwritten");
      await s.reset();
      assert.equal(await s.diff(), "");
      assert.equal(text(await s.readFile("README.md")), "hello\n");
      assert.ok(!(await s.list(".")).some((e) => e.name === "junk.txt"));
      assert.equal((await s.exec("pwd")).stdout.trim(), sRoot);
      assert.equal(proc.isRunning(), false);
      assert.ok(await waitUntil(() => pidsWithMarker(`sleep\0${marker}`).length === 0));
    });

    test("dispose leaves no process and no sandbox files behind, and can be called twice", async () => {
      const s = await create();
      const view = (await s.exec("pwd")).stdout.trim();
      const marker = `${5000 + Math.floor(Math.random() * 1000)}.${randomBytes(3).readUIntBE(0, 3)}`;
      await s.start(`sleep ${marker}1`);
      const running = s.exec(`sleep ${marker}2`).catch(() => undefined);
      assert.ok(await waitUntil(() => pidsWithMarker(marker).length >= 2), "both processes started");
      await s.dispose();
      await running;
      assert.ok(await waitUntil(() => pidsWithMarker(marker).length === 0), "no process left");
      if (s.info.hostPid !== undefined) assert.equal(existsSync(`/proc/${s.info.hostPid}`), false);
      if (view !== fx.workspace) assert.equal(existsSync(view), false, `${view} was removed`);
      await s.dispose();
    });

    test("the user's tree and the files beside it are byte-for-byte unchanged", async () => {
      for (const s of sandboxes) await s.dispose();
      assert.deepEqual(snapshotTree(fx.base), userTree);
    });
  });
}
