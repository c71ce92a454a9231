// The egress proxy for real: a UNIX-socket proxy, loopback upstreams started here, and a
// resolver injected so names like `allowed.test` resolve without any DNS server.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type EgressProxy, startEgressProxy } from "./egress-proxy.ts";
import type { NetEvent } from "./types.ts";

const dir = mkdtempSync(join(tmpdir(), "cl-egress-"));
let echo: Server;
let echoPort: number;
let proxyCount = 0;

before(async () => {
  // Echoes every byte back and ends when the client ends, so half-close is observable.
  echo = createServer({ allowHalfOpen: true }, (s) => s.pipe(s));
  echo.listen(0, "127.0.0.1");
  await once(echo, "listening");
  echoPort = (echo.address() as AddressInfo).port;
});
after(() => {
  echo.close();
  rmSync(dir, { recursive: true, force: true });
});

async function withProxy(
  allowNet: string[],
  names: Record<string, string[]>,
  body: (proxy: EgressProxy, events: NetEvent[], resolved: string[]) => Promise<void>,
): Promise<void> {
  const events: NetEvent[] = [];
  const resolved: string[] = [];
  const proxy = await startEgressProxy({
    socketPath: join(dir, `proxy-${++proxyCount}.sock`),
    allowNet,
    onEvent: (e) => events.push(e),
    resolve: async (host) => {
      resolved.push(host);
      const addresses = names[host];
      if (!addresses) throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
      return addresses;
    },
    connectTimeoutMs: 2000,
  });
  try {
    await body(proxy, events, resolved);
  } finally {
    await proxy.close();
  }
}

/** Sends raw bytes to the proxy and collects everything until it closes. */
async function exchange(socketPath: string, request: string): Promise<string> {
  const socket = connect(socketPath);
  socket.end(request);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("latin1");
}

/** Opens a CONNECT tunnel; resolves with the status line and the socket (a tunnel on 200). */
async function openTunnel(
  socketPath: string,
  authority: string,
): Promise<{ status: string; socket: Socket }> {
  const socket = connect({ path: socketPath, allowHalfOpen: true });
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`);
  let head = Buffer.alloc(0);
  while (!head.includes("\r\n\r\n")) {
    const [chunk] = (await once(socket, "data")) as [Buffer];
    head = Buffer.concat([head, chunk]);
  }
  const text = head.toString("latin1");
  return { status: text.split("\r\n")[0]!, socket };
}

async function readAll(socket: Socket): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

test("the proxy socket is connectable by any uid and is removed on close", async () => {
  await withProxy([], {}, async (proxy) => {
    assert.equal(statSync(proxy.socketPath).mode & 0o777, 0o666);
    await proxy.close();
    assert.throws(() => statSync(proxy.socketPath), /ENOENT/);
  });
});

test("a permitted name that resolves to a loopback upstream is refused, with a reason and an event", async () => {
  await withProxy([`allowed.test:${echoPort}`], { "allowed.test": ["127.0.0.1"] }, async (proxy, events) => {
    const response = await exchange(proxy.socketPath, `CONNECT allowed.test:${echoPort} HTTP/1.1\r\n\r\n`);
    assert.match(response, /^HTTP\/1\.1 403 /);
    assert.match(response, /denied: allowed\.test resolves to 127\.0\.0\.1 is a loopback address/);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.kind, "proxy");
    assert.equal(events[0]!.host, "allowed.test");
    assert.equal(events[0]!.port, echoPort);
    assert.equal(events[0]!.decision, "denied");
    assert.match(events[0]!.rule, /loopback/);
    assert.equal(typeof events[0]!.at, "number");
  });
});

test("DNS rebinding fails: a listed name resolving to loopback, link-local or private is denied", async () => {
  const names = {
    "rebind.test": ["127.0.0.1"],
    "meta.test": ["169.254.169.254"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "lan.test": ["192.168.1.10", "10.0.0.1"],
  };
  await withProxy(Object.keys(names), names, async (proxy, events, resolved) => {
    for (const host of Object.keys(names)) {
      const response = await exchange(proxy.socketPath, `CONNECT ${host}:443 HTTP/1.1\r\n\r\n`);
      assert.match(response, /^HTTP\/1\.1 403 /, host);
    }
    assert.deepEqual(
      events.map((e) => [e.host, e.decision]),
      Object.keys(names).map((h) => [h, "denied"]),
    );
    assert.deepEqual(resolved, Object.keys(names), "each name is resolved once, by the proxy");
  });
});

test("raw IP literals are refused, in any spelling, unless a rule names the IP", async () => {
  await withProxy(["allowed.test"], {}, async (proxy, events, resolved) => {
    for (const authority of [
      `127.0.0.1:${echoPort}`,
      `[::1]:${echoPort}`,
      `[::ffff:127.0.0.1]:${echoPort}`,
    ]) {
      const response = await exchange(proxy.socketPath, `CONNECT ${authority} HTTP/1.1\r\n\r\n`);
      assert.match(response, /^HTTP\/1\.1 403 /, authority);
      assert.match(response, /raw IP/);
    }
    assert.deepEqual(
      events.map((e) => [e.host, e.decision]),
      [
        ["127.0.0.1", "denied"],
        ["::1", "denied"],
        ["127.0.0.1", "denied"],
      ],
    );
    assert.deepEqual(resolved, [], "nothing is resolved for an IP literal");
  });
});

test("with a rule naming 127.0.0.1 the CONNECT tunnel carries bytes both ways and passes a half-close on", async () => {
  await withProxy([`127.0.0.1:${echoPort}`], {}, async (proxy, events) => {
    const { status, socket } = await openTunnel(proxy.socketPath, `127.0.0.1:${echoPort}`);
    assert.equal(status, "HTTP/1.1 200 Connection Established");
    const payload = Buffer.alloc(256 * 1024, "tunnel!").toString();
    socket.end(payload); // half-close: the echo server answers everything, then ends
    assert.equal(await readAll(socket), payload);
    assert.deepEqual(
      events.map((e) => [e.host, e.port, e.decision, e.rule]),
      [["127.0.0.1", echoPort, "allowed", `127.0.0.1:${echoPort}`]],
    );
  });
});

test("a permitted name is connected to the IP the proxy resolved once a rule names that IP", async () => {
  const rules = [`allowed.test:${echoPort}`, `127.0.0.1:${echoPort}`];
  await withProxy(rules, { "allowed.test": ["127.0.0.1"] }, async (proxy, events, resolved) => {
    const { status, socket } = await openTunnel(proxy.socketPath, `allowed.test:${echoPort}`);
    assert.equal(status, "HTTP/1.1 200 Connection Established");
    socket.end("hello through a name");
    assert.equal(await readAll(socket), "hello through a name");
    assert.deepEqual(resolved, ["allowed.test"]);
    assert.equal(events[0]!.decision, "allowed");
    assert.equal(events[0]!.rule, `allowed.test:${echoPort}`);
  });
});

test("unlisted hosts, unlisted ports and unresolvable names are denied with events", async () => {
  await withProxy(
    ["listed.test", "ghost.test"],
    { "listed.test": ["93.184.216.34"] },
    async (proxy, events) => {
      const unlisted = await exchange(proxy.socketPath, "CONNECT other.test:443 HTTP/1.1\r\n\r\n");
      assert.match(unlisted, /403[\s\S]*no allowNet rule matches other\.test/);
      const port = await exchange(proxy.socketPath, "CONNECT listed.test:22 HTTP/1.1\r\n\r\n");
      assert.match(port, /403[\s\S]*port 22 is not allowed/);
      const ghost = await exchange(proxy.socketPath, "CONNECT ghost.test:443 HTTP/1.1\r\n\r\n");
      assert.match(ghost, /403[\s\S]*cannot resolve ghost\.test: ENOTFOUND/);
      assert.deepEqual(
        events.map((e) => [e.host, e.port, e.decision]),
        [
          ["other.test", 443, "denied"],
          ["listed.test", 22, "denied"],
          ["ghost.test", 443, "denied"],
        ],
      );
    },
  );
});

test("unparseable requests get 400 and an oversized request head gets 431, without events", async () => {
  await withProxy(["allowed.test"], {}, async (proxy, events) => {
    assert.match(await exchange(proxy.socketPath, "GARBAGE\r\n\r\n"), /^HTTP\/1\.1 400 /);
    assert.match(
      await exchange(proxy.socketPath, "CONNECT allowed.test HTTP/1.1\r\n\r\n"),
      /^HTTP\/1\.1 400 /,
    );
    assert.match(
      await exchange(proxy.socketPath, "GET /relative HTTP/1.1\r\nHost: x\r\n\r\n"),
      /^HTTP\/1\.1 400 /,
    );
    const huge = `CONNECT allowed.test:443 HTTP/1.1\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`;
    assert.match(await exchange(proxy.socketPath, huge), /^HTTP\/1\.1 431 /);
    assert.equal(events.length, 0);
  });
});

test("plain HTTP absolute-URI requests are forwarded to the vetted address and denied ones get 403", async () => {
  const seen: string[] = [];
  const web = createHttpServer((req, res) => {
    seen.push(
      `${req.method} ${req.url} host=${req.headers.host} proxy-conn=${req.headers["proxy-connection"]}`,
    );
    res.end("hello from upstream");
  });
  web.listen(0, "127.0.0.1");
  await once(web, "listening");
  const port = (web.address() as AddressInfo).port;
  try {
    const rules = [`web.test:${port}`, `127.0.0.1:${port}`];
    await withProxy(
      rules,
      { "web.test": ["127.0.0.1"], "other.test": ["127.0.0.1"] },
      async (proxy, events) => {
        const ok = await exchange(
          proxy.socketPath,
          `GET http://web.test:${port}/page?q=1 HTTP/1.1\r\nHost: spoofed.test\r\nProxy-Connection: keep-alive\r\nConnection: close\r\n\r\n`,
        );
        assert.match(ok, /^HTTP\/1\.1 200 /);
        assert.match(ok, /hello from upstream$/);
        assert.deepEqual(seen, [`GET /page?q=1 host=web.test:${port} proxy-conn=undefined`]);
        const denied = await exchange(
          proxy.socketPath,
          `GET http://other.test:${port}/ HTTP/1.1\r\nHost: other.test\r\nConnection: close\r\n\r\n`,
        );
        assert.match(denied, /^HTTP\/1\.1 403 [\s\S]*no allowNet rule matches other\.test/);
        assert.equal(seen.length, 1, "the denied request never reached the upstream");
        assert.deepEqual(
          events.map((e) => [e.host, e.decision]),
          [
            ["web.test", "allowed"],
            ["other.test", "denied"],
          ],
        );
      },
    );
  } finally {
    web.close();
  }
});

test("an allowed destination that refuses the connection gets 502", async () => {
  const closed = createServer();
  closed.listen(0, "127.0.0.1");
  await once(closed, "listening");
  const port = (closed.address() as AddressInfo).port;
  closed.close();
  await withProxy([`127.0.0.1:${port}`], {}, async (proxy, events) => {
    const response = await exchange(proxy.socketPath, `CONNECT 127.0.0.1:${port} HTTP/1.1\r\n\r\n`);
    assert.match(response, /^HTTP\/1\.1 502 [\s\S]*ECONNREFUSED/);
    assert.equal(events[0]!.decision, "allowed");
  });
});
