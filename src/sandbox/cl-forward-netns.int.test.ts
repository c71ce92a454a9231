// cl-forward across a real network namespace, the way the local sandbox uses it: a namespace
// with only loopback (created here with `unshare --net`), reaching the host only through UNIX
// sockets. Needs root (or CAP_SYS_ADMIN) for unshare/nsenter; skipped otherwise.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { type AddressInfo, connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startEgressProxy } from "./egress-proxy.ts";
import { startPortExposer } from "./port-exposer.ts";

const canUnshare = process.getuid?.() === 0 && spawnSync("unshare", ["--net", "true"]).status === 0;
const skip = canUnshare ? false : "needs root and unshare --net";
const dir = mkdtempSync(join(tmpdir(), "cl-netns-"));
const bin = join(dir, "cl-forward");
const children: ChildProcess[] = [];
let holder: ChildProcess;
let netns: string;

before(() => {
  if (skip) return;
  const source = new URL("../../native/cl-forward.c", import.meta.url).pathname;
  assert.equal(spawnSync(process.env.CC ?? "cc", ["-O2", "-o", bin, source]).status, 0);
  // A process that only holds the namespace open; everything else joins it with nsenter.
  holder = spawn("unshare", ["--net", "sleep", "600"], { stdio: "ignore" });
  children.push(holder);
  netns = `/proc/${holder.pid}/ns/net`;
});
after(() => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a command inside the namespace and resolves with its first line of stdout. */
async function inside(args: string[], input?: string): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn("nsenter", [`--net=${netns}`, "--", ...args], { stdio: ["pipe", "pipe", "inherit"] });
  children.push(child);
  if (input !== undefined) child.stdin!.end(input);
  let out = "";
  for await (const chunk of child.stdout!) {
    out += chunk;
    if (out.includes("\n")) break;
  }
  return { child, line: out.split("\n")[0]! };
}

async function waitForNamespace(): Promise<void> {
  for (
    let i = 0;
    i < 100 && spawnSync("nsenter", [`--net=${netns}`, "ip", "link", "set", "lo", "up"]).status;
    i++
  )
    await new Promise((r) => setTimeout(r, 10));
}

test("from a loopback-only namespace, only the proxy path reaches a host service", { skip }, async (t) => {
  await waitForNamespace();
  const echo = createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
  echo.listen(0, "127.0.0.1");
  await once(echo, "listening");
  t.after(() => echo.close());
  const port = (echo.address() as AddressInfo).port;
  const proxy = await startEgressProxy({
    socketPath: join(dir, "proxy.sock"),
    allowNet: [`127.0.0.1:${port}`],
  });
  t.after(() => proxy.close());
  const forward = await inside([bin, `tcp:0=unix:${proxy.socketPath}`]);
  const proxyPort = Number(forward.line.split(" ")[1]!.slice("tcp:".length));

  // Inside: the host's echo port is not there at all; through the forwarder and proxy it is.
  const client = `
    const net = require("node:net");
    const direct = net.connect(${port}, "127.0.0.1");
    direct.on("error", (e) => {
      const s = net.connect(${proxyPort}, "127.0.0.1");
      let got = "";
      s.write("CONNECT 127.0.0.1:${port} HTTP/1.1\\r\\n\\r\\n");
      s.on("data", (d) => {
        got += d;
        if (got.includes("\\r\\n\\r\\n") && !got.includes("echo me")) s.end("echo me");
      });
      s.on("end", () => console.log(JSON.stringify({ direct: e.code, tunnel: got })));
    });
    direct.on("connect", () => console.log(JSON.stringify({ direct: "connected" })));
  `;
  const { line } = await inside([process.execPath, "-e", client]);
  const result = JSON.parse(line) as { direct: string; tunnel?: string };
  assert.equal(result.direct, "ECONNREFUSED");
  assert.match(result.tunnel ?? "", /^HTTP\/1\.1 200 Connection Established\r\n\r\necho me$/);
});

test("from the host, a server inside the namespace is reached through nsenter'd cl-forward and the exposer", {
  skip,
}, async (t) => {
  await waitForNamespace();
  const server = `
    const s = require("node:net").createServer({ allowHalfOpen: true }, (c) => c.pipe(c));
    s.listen(0, "127.0.0.1", () => console.log(s.address().port));
  `;
  const inner = await inside([process.execPath, "-e", server]);
  const innerPort = Number(inner.line);
  const unixPath = join(dir, "expose.sock");
  await inside([bin, `unix:${unixPath}=tcp:${innerPort}`]);
  const exposed = await startPortExposer({ unixPath });
  t.after(() => exposed.close());
  const socket = connect({ host: exposed.host, port: exposed.port, allowHalfOpen: true });
  socket.end("hello inside");
  let reply = "";
  for await (const chunk of socket) reply += chunk;
  assert.equal(reply, "hello inside");
});
