// The host-port bridge for real: a UNIX socket in, the host's 127.0.0.1:PORT out, nothing else.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { type AddressInfo, connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { startHostPortBridge } from "./host-port-bridge.ts";
import type { NetEvent } from "./types.ts";

const dir = mkdtempSync(join(tmpdir(), "cl-bridge-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A loopback server that records what it receives and answers with its own name. */
async function namedServer(name: string, received: string[]): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (s) => {
    let got = "";
    s.on("data", (d) => {
      got += d;
    });
    s.on("end", () => {
      received.push(got);
      s.end(`${name} got ${got}`);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as AddressInfo).port };
}

async function send(path: string, text: string): Promise<string> {
  const socket = connect({ path, allowHalfOpen: true });
  socket.end(text);
  let reply = "";
  for await (const chunk of socket) reply += chunk;
  return reply;
}

test("the bridge relays each connection to its one host port and to no other, with an event each", async () => {
  const atA: string[] = [];
  const atB: string[] = [];
  const a = await namedServer("A", atA);
  const b = await namedServer("B", atB);
  const events: NetEvent[] = [];
  const socketPath = join(dir, "a.sock");
  const bridge = await startHostPortBridge({ socketPath, port: a.port, onEvent: (e) => events.push(e) });
  try {
    assert.equal(statSync(socketPath).mode & 0o777, 0o666);
    assert.equal(await send(socketPath, "hello"), "A got hello");
    // Asking for the other port in-band is just bytes to A: the destination is fixed.
    const sneaky = `CONNECT 127.0.0.1:${b.port} HTTP/1.1\r\n\r\n`;
    assert.equal(await send(socketPath, sneaky), `A got ${sneaky}`);
    assert.deepEqual(atA, ["hello", sneaky]);
    assert.deepEqual(atB, [], "the other port was never reached");
    assert.deepEqual(
      events.map((e) => [e.kind, e.host, e.port, e.decision, e.rule]),
      [
        ["host-port", "127.0.0.1", a.port, "allowed", "allowHostPorts"],
        ["host-port", "127.0.0.1", a.port, "allowed", "allowHostPorts"],
      ],
    );
  } finally {
    await bridge.close();
    a.server.close();
    b.server.close();
  }
  assert.throws(() => statSync(socketPath), /ENOENT/, "close removes the socket");
});

test("when nothing listens on the bridged port the client is closed and the bridge keeps serving", async () => {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const port = (probe.address() as AddressInfo).port;
  probe.close();
  const bridge = await startHostPortBridge({ socketPath: join(dir, "gone.sock"), port });
  try {
    assert.equal(await send(bridge.socketPath, "anyone?"), "");
    const received: string[] = [];
    const server = createServer({ allowHalfOpen: true }, (s) =>
      s.on("data", (d) => received.push(String(d))).end(),
    );
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    await send(bridge.socketPath, "now?");
    assert.deepEqual(received, ["now?"]);
    server.close();
  } finally {
    await bridge.close();
  }
});

test("a port outside 1–65535 is a bug in the caller and throws", async () => {
  await assert.rejects(startHostPortBridge({ socketPath: join(dir, "x.sock"), port: 0 }), /port must be/);
});
