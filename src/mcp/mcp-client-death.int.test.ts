// A client killed in the middle of a run (SIGKILL: no goodbye) must leave nothing behind: the
// server sees its stdin close, stops the run, disposes every sandbox of the session and exits.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { createDemoWorkspace, isAlive, waitUntil } from "./testing/mcp-fixtures.ts";

/** Every live process below `root`, found through /proc's parent links. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {}
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, ppid] of parent) {
      if (ppid !== pid) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(root);
  return out;
}

test("a client SIGKILLed mid-run leaves no server, run or sandbox process behind", async () => {
  const ws = createDemoWorkspace();
  try {
    const client = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(import.meta.dirname, "testing", "killable-client.ts"),
        ws.root,
        ws.project,
        ws.runsDir,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      client.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("\n")) resolve(out.split("\n")[0]!);
      });
      client.once("exit", (code) => reject(new Error(`the client exited early (${code})`)));
    });
    const { serverPid, sandboxPid } = JSON.parse(line) as { serverPid: number; sandboxPid: number };
    const below = descendants(serverPid);
    assert.ok(isAlive(sandboxPid), "the client's sandbox is running");
    assert.ok(below.length >= 2, `the server runs sandboxes (${below.length} processes below it)`);

    client.kill("SIGKILL");
    await waitUntil("the server exits", () => !isAlive(serverPid), 30_000);
    await waitUntil(
      "no process the server started is left",
      () => below.every((pid) => !isAlive(pid)),
      15_000,
    );
    assert.equal(isAlive(sandboxPid), false);
  } finally {
    rmSync(ws.root, { recursive: true, force: true });
  }
});
