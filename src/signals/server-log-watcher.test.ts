// The watcher is fed real output: each crash below is produced by running node (or python3)
// on a small script, so the stack formats cannot drift from what the runtimes print.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createServerLogWatcher, type LogSource } from "./server-log-watcher.ts";

const dir = mkdtempSync(join(tmpdir(), "closedloop-watch-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a command and exposes it in the `LogSource` shape a sandbox background process has. */
function run(command: string, args: string[]): LogSource {
  const child = spawn(command, args, { cwd: dir });
  const listeners = new Set<(line: string, stream: "stdout" | "stderr") => void>();
  for (const stream of ["stdout", "stderr"] as const) {
    let rest = "";
    child[stream].on("data", (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split("\n");
      rest = parts.pop() ?? "";
      for (const line of parts) for (const l of listeners) l(line, stream);
    });
  }
  // "exit" rather than "close", as a sandbox's background process reports it: output may trail.
  const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) =>
    child.on("exit", (exitCode, signal) => resolve({ exitCode, signal })),
  );
  return {
    onLog(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    exited,
  };
}

test("an uncaught throw at startup becomes a finding at the script's file and line", async () => {
  writeFileSync(
    join(dir, "boom.js"),
    'const http = require("node:http");\n\nthrow new TypeError("config is missing");\n',
  );
  const source = run("node", ["boom.js"]);
  const watcher = createServerLogWatcher(source, { root: dir });
  await watcher.exitReported;
  const { findings, exit } = watcher.drain();
  const thrown = findings.find((f) => f.message.startsWith("TypeError: config is missing"));
  assert.ok(thrown, JSON.stringify(findings));
  assert.equal(thrown.file, "boom.js");
  assert.equal(thrown.line, 3);
  assert.equal(thrown.kind, "server-error");
  const crash = findings.find((f) => f.message.includes("exited with exit code 1"));
  assert.ok(crash);
  assert.equal(crash.file, "boom.js");
  assert.deepEqual(exit, { exitCode: 1, signal: null, expected: false });
});

test("a missing module names the requiring file, not node's loader", async () => {
  writeFileSync(join(dir, "needs.js"), '// server\nconst db = require("./missing-module");\n');
  const source = run("node", ["needs.js"]);
  const watcher = createServerLogWatcher(source, { root: dir });
  await watcher.exitReported;
  const thrown = watcher.drain().findings.find((f) => f.message.includes("Cannot find module"));
  assert.ok(thrown);
  assert.equal(thrown.file, "needs.js");
  assert.equal(thrown.line, 2);
});

test("EADDRINUSE is reported with the port, and no location is invented when node gives none", async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  const { port } = blocker.address() as AddressInfo;
  writeFileSync(join(dir, "taken.js"), `require("node:http").createServer().listen(${port}, "127.0.0.1");\n`);
  const source = run("node", ["taken.js"]);
  const watcher = createServerLogWatcher(source, { root: dir });
  await watcher.exitReported;
  blocker.close();
  const thrown = watcher.drain().findings.find((f) => f.message.includes("EADDRINUSE"));
  assert.ok(thrown);
  assert.match(thrown.message, new RegExp(`:${port}$`));
  // Node 20 prints only its own frames for a failed listen.
  assert.equal(thrown.file, undefined);
});

test("a Python traceback points at the innermost frame in the project", { skip: !hasPython() }, async () => {
  writeFileSync(join(dir, "app.py"), "def handler():\n    return 1 / 0\n\nhandler()\n");
  const source = run("python3", ["app.py"]);
  const watcher = createServerLogWatcher(source, { root: dir });
  await watcher.exitReported;
  const thrown = watcher.drain().findings.find((f) => f.message.startsWith("ZeroDivisionError"));
  assert.ok(thrown);
  assert.equal(thrown.file, "app.py");
  assert.equal(thrown.line, 2);
});

test("only what happened since the last drain is reported, and 5xx request lines count", () => {
  const watcher = createServerLogWatcher(undefined);
  watcher.push("listening on :3000");
  watcher.push("GET /api/items 500 12.345 ms - 21");
  watcher.push('127.0.0.1 - - [25/Nov/2026 10:00:00] "GET /health HTTP/1.1" 200 -');
  const first = watcher.drain();
  assert.equal(first.findings.length, 1);
  assert.match(first.findings[0]!.message, /GET \/api\/items 500/);
  assert.equal(first.lines.length, 3);
  watcher.push("GET /api/items 200 1.2 ms");
  const second = watcher.drain();
  assert.deepEqual(second.findings, []);
  assert.deepEqual(second.lines, ["GET /api/items 200 1.2 ms"]);
});

test("repeated errors are counted once and the per-step tail stays bounded", () => {
  const watcher = createServerLogWatcher(undefined, { maxLines: 10, maxFindings: 3 });
  for (let i = 0; i < 1000; i++) watcher.push("Error: connection refused at /srv/db.js:4:2");
  for (let i = 0; i < 10; i++) watcher.push(`worker ${i}: Error: distinct failure ${i}`);
  const delta = watcher.drain();
  assert.equal(delta.lines.length, 10);
  assert.equal(delta.droppedLines, 1000);
  assert.equal(delta.findings.length, 3);
  assert.equal(delta.droppedFindings, 8);
  assert.match(delta.findings[0]!.message, /\(×1000\)$/);
  assert.equal(delta.findings[0]!.file, "/srv/db.js");
});

test("a stop that was asked for is not reported as a crash", async () => {
  writeFileSync(join(dir, "idle.js"), "setInterval(() => {}, 1000);\n");
  const child = spawn("node", ["idle.js"], { cwd: dir });
  const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) =>
    child.on("close", (exitCode, signal) => resolve({ exitCode, signal })),
  );
  const watcher = createServerLogWatcher({ onLog: () => () => {}, exited });
  watcher.expectExit();
  child.kill("SIGTERM");
  await watcher.exitReported;
  const delta = watcher.drain();
  assert.deepEqual(delta.findings, []);
  assert.deepEqual(delta.exit, { exitCode: null, signal: "SIGTERM", expected: true });
});

test("request lines on stdout do not cut a stack trace arriving on stderr", () => {
  writeFileSync(
    join(dir, "handler.js"),
    'function handle() {\n  throw new Error("no such user");\n}\nhandle();\n',
  );
  const crash = spawnSync("node", ["handler.js"], { cwd: dir, encoding: "utf8" });
  const watcher = createServerLogWatcher(undefined, { root: dir });
  crash.stderr.split("\n").forEach((line, i) => {
    watcher.push(line, "stderr");
    watcher.push(`GET /users/${i} 200 1 ms`, "stdout");
  });
  const thrown = watcher.drain().findings.find((f) => f.message === "Error: no such user");
  assert.ok(thrown);
  assert.equal(`${thrown.file}:${thrown.line}`, "handler.js:2");
});

test("JSON log lines at error level become findings located by their stack", () => {
  // Hand-written in pino's shape (pino itself is not installed here).
  const watcher = createServerLogWatcher(undefined, { root: "/srv/app" });
  watcher.push('{"level":30,"time":1,"msg":"request completed"}');
  watcher.push(
    JSON.stringify({
      level: 50,
      msg: "payment failed",
      err: {
        message: "card declined",
        stack: "Error: card declined\n    at charge (/srv/app/src/pay.js:12:7)",
      },
    }),
  );
  const { findings } = watcher.drain();
  assert.equal(findings.length, 1);
  assert.equal(findings[0]!.message, "payment failed");
  assert.equal(`${findings[0]!.file}:${findings[0]!.line}`, "src/pay.js:12");
});

function hasPython(): boolean {
  return spawnSync("python3", ["--version"]).status === 0;
}
