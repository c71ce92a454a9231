// native/cl-forward for real, on the host's loopback: compiled here from the current source
// (warnings are errors), then driven with Node TCP and UNIX sockets in both modes.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import {
  type AddressInfo,
  connect,
  createServer,
  type NetConnectOpts,
  type Server,
  type Socket,
} from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { startEgressProxy } from "./egress-proxy.ts";
import { startPortExposer } from "./port-exposer.ts";

const dir = mkdtempSync(join(tmpdir(), "cl-forward-"));
const bin = join(dir, "cl-forward");
const source = new URL("../../native/cl-forward.c", import.meta.url).pathname;
const children: ChildProcess[] = [];
let sockets = 0;

before(() => {
  const cc = spawnSync(process.env.CC ?? "cc", ["-O2", "-Wall", "-Wextra", "-Werror", "-o", bin, source], {
    encoding: "utf8",
  });
  assert.equal(cc.status, 0, `cl-forward does not compile cleanly:\n${cc.stderr}`);
});
after(() => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const socketPath = () => join(dir, `s${++sockets}.sock`);

/** Starts cl-forward and waits for its "ready" line; returns the process and that line's words. */
async function startForward(...specs: string[]): Promise<{ child: ChildProcess; ready: string[] }> {
  const child = spawn(bin, ["--exit-on-stdin-eof", ...specs], { stdio: ["pipe", "pipe", "inherit"] });
  children.push(child);
  let out = "";
  for await (const chunk of child.stdout!) {
    out += chunk;
    if (out.includes("\n")) break;
  }
  const ready = out.trim().split(" ");
  assert.equal(ready[0], "ready", `cl-forward did not start: ${out}`);
  return { child, ready: ready.slice(1) };
}

const tcpPort = (ready: string[]) => Number(ready[0]!.slice("tcp:".length));

/** A server that answers each connection with `handler`, sockets half-open capable. */
async function listen(server: Server, where: string | { host: string; port: 0 }): Promise<Server> {
  server.listen(where);
  await once(server, "listening");
  return server;
}

const echoServer = () => createServer({ allowHalfOpen: true }, (s) => s.on("error", () => {}).pipe(s));

function sha(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Connects, sends `data`, half-closes, and returns everything received until the far end ends. */
async function roundTrip(
  target: { port: number; host?: string } | { path: string },
  data: Buffer,
): Promise<Buffer> {
  const socket = connect({ ...target, allowHalfOpen: true } as NetConnectOpts);
  socket.end(data);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Resident memory of a process in KiB: all of it, and the part that is its own (not shared libc pages). */
function memoryKiB(pid: number): { rss: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)![1]);
  return { rss: field("VmRSS"), anon: field("RssAnon") };
}

const formatMemory = (m: { rss: number; anon: number }) => `VmRSS ${m.rss} KiB (RssAnon ${m.anon} KiB)`;

/** Resolves when the socket closes, whether cleanly or by an error (unlike `once`, never rejects). */
const closed = (socket: Socket) => new Promise((resolve) => socket.on("close", resolve));

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

test("tcp→unix: bytes flow both ways and a half-close reaches each side in turn", async (t) => {
  const path = socketPath();
  const upstream = await listen(
    createServer({ allowHalfOpen: true }, (s) => {
      const got: Buffer[] = [];
      s.on("data", (d) => got.push(d));
      // Only after the client's EOF arrives does the server answer, then ends its side.
      s.on("end", () => s.end(`got ${Buffer.concat(got).toString()}`));
    }),
    path,
  );
  t.after(() => upstream.close());
  const { ready } = await startForward(`tcp:0=unix:${path}`);
  const reply = await roundTrip({ host: "127.0.0.1", port: tcpPort(ready) }, Buffer.from("ping"));
  assert.equal(reply.toString(), "got ping");
});

test("tcp→unix: a 5 MB transfer arrives intact, and 50 parallel connections each get their own bytes", async (t) => {
  const path = socketPath();
  const upstream = await listen(echoServer(), path);
  t.after(() => upstream.close());
  const { child, ready } = await startForward(`tcp:0=unix:${path}`);
  const port = tcpPort(ready);
  const idle = memoryKiB(child.pid!);
  let peak = idle;
  const sampler = setInterval(() => {
    const now = memoryKiB(child.pid!);
    if (now.rss > peak.rss) peak = now;
  }, 2);
  try {
    const big = randomBytes(5 * 1024 * 1024);
    assert.equal(sha(await roundTrip({ host: "127.0.0.1", port }, big)), sha(big));
    const payloads = Array.from({ length: 50 }, () => randomBytes(64 * 1024));
    const replies = await Promise.all(payloads.map((p) => roundTrip({ host: "127.0.0.1", port }, p)));
    for (const [i, r] of replies.entries()) assert.equal(sha(r), sha(payloads[i]!), `connection ${i}`);
  } finally {
    clearInterval(sampler);
  }
  const afterwards = memoryKiB(child.pid!);
  t.diagnostic(`cl-forward idle: ${formatMemory(idle)}`);
  t.diagnostic(`cl-forward peak sampled during 5 MB + 50 parallel: ${formatMemory(peak)}`);
  t.diagnostic(`cl-forward after the connections closed: ${formatMemory(afterwards)}`);
  assert.ok(peak.rss < 4096, `cl-forward used ${peak.rss} KiB`);
  assert.ok(afterwards.anon <= idle.anon + 64, "buffer pages are given back when connections close");
});

test("tcp→unix: the ::1 listener works too when IPv6 loopback exists", async (t) => {
  const path = socketPath();
  const upstream = await listen(echoServer(), path);
  t.after(() => upstream.close());
  const { ready } = await startForward(`tcp:0=unix:${path}`);
  const reply = await roundTrip({ host: "::1", port: tcpPort(ready) }, Buffer.from("over v6"));
  assert.equal(reply.toString(), "over v6");
});

test("peer resets on either side and a missing upstream do not kill the forwarder", async (t) => {
  const path = socketPath();
  const upstream = await listen(
    createServer({ allowHalfOpen: true }, (s) => {
      s.on("error", () => {});
      // A connection whose first byte is "R" is dropped by the server with unread bytes
      // queued, which a UNIX socket reports to the forwarder as ECONNRESET; others echo.
      s.once("data", (first: Buffer) => {
        if (first[0] === 0x52) s.destroy();
        else s.end(first);
      });
    }),
    path,
  );
  const { child, ready } = await startForward(`tcp:0=unix:${path}`);
  const port = tcpPort(ready);
  for (let i = 0; i < 10; i++) {
    const client = connect({ host: "127.0.0.1", port });
    client.on("error", () => {});
    client.write(Buffer.alloc(100_000, "e"));
    await new Promise((r) => setTimeout(r, 5));
    client.resetAndDestroy(); // client-side reset with bytes in flight
  }
  const resetByServer = connect({ host: "127.0.0.1", port });
  resetByServer.on("error", () => {});
  resetByServer.write(Buffer.alloc(1024 * 1024, "R"));
  await closed(resetByServer);
  upstream.close();
  await once(upstream, "close");
  const refused = connect({ host: "127.0.0.1", port });
  refused.on("error", () => {});
  await closed(refused); // no upstream at all: the client is just closed
  assert.ok(isAlive(child), "cl-forward died");
  const again = await listen(echoServer(), path);
  t.after(() => again.close());
  assert.equal(
    (await roundTrip({ host: "127.0.0.1", port }, Buffer.from("still here"))).toString(),
    "still here",
  );
});

test("connections beyond 256 wait in the backlog and are served once slots free up", async (t) => {
  const path = socketPath();
  const held: Socket[] = [];
  let concurrent = 0;
  let peak = 0;
  const upstream = await listen(
    createServer((s) => {
      held.push(s);
      peak = Math.max(peak, ++concurrent);
      s.on("close", () => concurrent--);
      s.on("error", () => {});
      s.write("hi");
    }),
    path,
  );
  t.after(() => upstream.close());
  const { child, ready } = await startForward(`tcp:0=unix:${path}`);
  const port = tcpPort(ready);
  const clients = Array.from({ length: 266 }, () =>
    connect({ host: "127.0.0.1", port }).on("error", () => {}),
  );
  const greeted = clients.map((c) => once(c, "data"));
  await Promise.all(greeted.slice(0, 256));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(peak, 256, "no more than 256 relayed at once");
  t.diagnostic(`cl-forward holding 256 live connections: ${formatMemory(memoryKiB(child.pid!))}`);
  for (const s of held.slice(0, 10)) s.destroy();
  await Promise.all(greeted); // the 10 waiting ones get through
  for (const c of clients) c.destroy();
  assert.ok(isAlive(child));
});

test("unix→tcp: the socket is 0600, bytes flow both ways with half-close, 5 MB and 50 parallel", async (t) => {
  const server = await listen(echoServer(), { host: "127.0.0.1", port: 0 });
  t.after(() => server.close());
  const path = socketPath();
  const { child } = await startForward(`unix:${path}=tcp:${(server.address() as AddressInfo).port}`);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const big = randomBytes(5 * 1024 * 1024);
  assert.equal(sha(await roundTrip({ path }, big)), sha(big));
  const payloads = Array.from({ length: 50 }, () => randomBytes(64 * 1024));
  const replies = await Promise.all(payloads.map((p) => roundTrip({ path }, p)));
  for (const [i, r] of replies.entries()) assert.equal(sha(r), sha(payloads[i]!), `connection ${i}`);
  t.diagnostic(`cl-forward (unix→tcp) after load: ${formatMemory(memoryKiB(child.pid!))}`);
});

test("unix→tcp: a server listening only on ::1 is reached after 127.0.0.1 refuses", async (t) => {
  const server = await listen(echoServer(), { host: "::1", port: 0 });
  t.after(() => server.close());
  const path = socketPath();
  await startForward(`unix:${path}=tcp:${(server.address() as AddressInfo).port}`);
  assert.equal((await roundTrip({ path }, Buffer.from("v6 only"))).toString(), "v6 only");
});

test("a stale socket file is replaced, and the forwarder exits when its stdin closes", async () => {
  const path = socketPath();
  const stale = await listen(createServer(), path);
  stale.close(); // leaves nothing listening; cl-forward must unlink and rebind
  const { child } = await startForward(`unix:${path}=tcp:9`);
  assert.ok(statSync(path).isSocket());
  child.stdin!.end();
  const [code] = await once(child, "exit");
  assert.equal(code, 0);
  assert.throws(() => statSync(path), /ENOENT/, "its socket file is removed on the way out");
});

test("SIGTERM ends the forwarder cleanly, removing its socket file", async () => {
  const path = socketPath();
  const { child } = await startForward(`unix:${path}=tcp:9`);
  child.kill("SIGTERM");
  const [code, signal] = await once(child, "exit");
  assert.deepEqual([code, signal], [0, null]);
  assert.throws(() => statSync(path), /ENOENT/);
});

test("bad arguments exit with code 2 and a usage line", () => {
  for (const args of [
    [],
    ["tcp:1=tcp:2"],
    ["tcp:99999=unix:/x"],
    ["unix:=tcp:80"],
    [`tcp:0=unix:/${"x".repeat(200)}`],
  ]) {
    const r = spawnSync(bin, args, { encoding: "utf8" });
    assert.equal(r.status, 2, args.join(" "));
    assert.match(r.stderr, /usage: cl-forward/);
  }
});

test("end to end: host client → port exposer → cl-forward unix→tcp → server", async (t) => {
  const server = await listen(echoServer(), { host: "127.0.0.1", port: 0 });
  t.after(() => server.close());
  const path = socketPath();
  await startForward(`unix:${path}=tcp:${(server.address() as AddressInfo).port}`);
  const exposed = await startPortExposer({ unixPath: path });
  t.after(() => exposed.close());
  assert.equal(exposed.host, "127.0.0.1");
  const data = randomBytes(1024 * 1024);
  assert.equal(sha(await roundTrip({ host: exposed.host, port: exposed.port }, data)), sha(data));
});

test("end to end: a TCP client → cl-forward tcp→unix → egress proxy → allowed upstream", async (t) => {
  const server = await listen(echoServer(), { host: "127.0.0.1", port: 0 });
  t.after(() => server.close());
  const upstreamPort = (server.address() as AddressInfo).port;
  const proxy = await startEgressProxy({ socketPath: socketPath(), allowNet: [`127.0.0.1:${upstreamPort}`] });
  t.after(() => proxy.close());
  const { ready } = await startForward(`tcp:0=unix:${proxy.socketPath}`);
  const client = connect({ host: "127.0.0.1", port: tcpPort(ready), allowHalfOpen: true });
  client.write(`CONNECT 127.0.0.1:${upstreamPort} HTTP/1.1\r\n\r\n`);
  const [head] = (await once(client, "data")) as [Buffer];
  assert.match(head.toString(), /^HTTP\/1\.1 200 /);
  client.end("through the tunnel");
  const chunks: Buffer[] = [];
  for await (const chunk of client) chunks.push(chunk as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), "through the tunnel");
});
