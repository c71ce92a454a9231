// Every process the local sandbox's agent starts is non-dumpable (native/cl-nodump.c, put
// first in LD_PRELOAD by native/cl-agent.c), so none can open another's /proc/N/mem or
// /proc/N/fd: all run as one uid, and that is the kernel's only other check. The escape
// battery attacks it (forge-ancestor-exit, forge-through-ancestor-fd); these tests pin the
// mechanism and its edges.
import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createSandbox } from "./index.ts";
import { insideBin } from "./launcher-args.ts";
import { ensureNativeHelpers } from "./native-helpers.ts";
import type { Sandbox } from "./types.ts";

const ours = `${insideBin}/cl-nodump.so`;
// PR_GET_DUMPABLE is 3; python's ctypes calls prctl in the process being asked about.
const dumpable = `python3 -c 'import ctypes; print(ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))'`;

describe("processes inside the local sandbox are non-dumpable", () => {
  let dir: string;
  let sb: Sandbox;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "cl-nodump-"));
    writeFileSync(
      join(dir, "child.js"),
      `require("node:child_process").spawn("sh", ["-c", process.argv[2]], { stdio: "inherit" });\n`,
    );
    sb = await createSandbox({ workspace: dir, backend: "local", quiet: true });
  });
  after(async () => {
    await sb?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the command, its shell's children and grandchildren started by node all are", async () => {
    const r = await sb.exec(
      `${dumpable}; sh -c "${dumpable}"; node child.js "${dumpable}"; echo "$LD_PRELOAD"`,
    );
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), ["0", "0", "0", ours]);
  });

  test("a process cannot read its parent's memory or fds, nor its parent's /proc/N/syscall", async () => {
    const r = await sb.exec(
      "for f in mem syscall fd/1; do if cat /proc/$$/$f >/dev/null 2>&1 </dev/null; then echo $f open; else echo $f denied; fi; done",
    );
    assert.deepEqual(r.stdout.trim().split("\n"), ["mem denied", "syscall denied", "fd/1 denied"]);
  });

  test("an LD_PRELOAD the command asks for is kept, after ours", async () => {
    const lib = spawnSync("sh", ["-c", "ls /usr/lib/*-linux-gnu/libm.so.6 | head -1"], {
      encoding: "utf8",
    }).stdout.trim();
    const r = await sb.exec(`echo "$LD_PRELOAD"; ${dumpable}`, { env: { LD_PRELOAD: lib } });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), [`${ours}:${lib}`, "0"]);
  });

  test("a process that drops LD_PRELOAD is dumpable itself, while the shell that started it is not", async () => {
    const r = await sb.exec(`env -u LD_PRELOAD ${dumpable}; ${dumpable}`);
    assert.deepEqual(r.stdout.trim().split("\n"), ["1", "0"]);
  });

  test("file operations and ps still work (they read only what the kernel leaves readable)", async () => {
    await sb.writeFile("a.txt", "hello\n");
    assert.equal(Buffer.from(await sb.readFile("a.txt")).toString(), "hello\n");
    const r = await sb.exec("sleep 5 & ps -o pid,comm,args; kill $!");
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /sleep 5/);
  });
});

test("the agent refuses to run without the library it preloads", () => {
  const agent = ensureNativeHelpers().helpers?.agent;
  assert.ok(agent, "the native helpers must build here");
  const cases: string[][] = [[], ["--preload", "/nonexistent/cl-nodump.so"]];
  for (const args of cases) {
    const r: SpawnSyncReturns<string> = spawnSync(agent, args, { encoding: "utf8", input: "" });
    assert.equal(r.status, 2, `cl-agent ${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /usage: cl-agent --preload LIB/);
    assert.equal(r.stdout, "", "no ready frame");
  }
});
