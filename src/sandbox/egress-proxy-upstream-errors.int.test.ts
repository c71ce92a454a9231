// An allowed upstream that answers garbage is its own failure: the client gets a 502 (or,
// once the body has started, a cut stream), the run gets a "failed" NetEvent, and the proxy
// neither throws nor stops serving. Upstreams are raw TCP servers on 127.0.0.1 started here.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type EgressProxy, startEgressProxy } from "./egress-proxy.ts";
import type { NetEvent } from "./types.ts";

const dir = mkdtempSync(join(tmpdir(), "cl-egress-garbage-"));
const answers: Record<string, (s: Socket) => void> = {
  good: (s) => s.end("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"),
  "status-000": (s) => s.end("HTTP/1.1 000 Zero\r\nContent-Length: 2\r\n\r\nhi"),
  "no-status-line": (s) => s.end("garbage\r\n\r\n"),
  "reason-control-char": (s) => s.end("HTTP/1.1 200 O\u0001K\r\nContent-Length: 2\r\n\r\nhi"),
  "header-overflow": (s) => s.end(`HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(100_000)}\r\n\r\n`),
  "upgrade-101": (s) =>
    s.end("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n"),
  "reset-at-once": (s) => s.resetAndDestroy(),
  "slow-loris": (s) => {
    s.write("HTTP/1.1 200 OK\r\nX-Slow: ");
    const t = setInterval(() => s.write("a"), 100);
    s.on("close", () => clearInterval(t));
  },
};
let upstream: Server;
let port = 0;
let proxy: EgressProxy;
const events: NetEvent[] = [];

before(async () => {
  upstream = createServer((s) => {
    s.on("error", () => {});
    s.once("data", (d) => answers[/^GET \/([a-z0-9-]+)/.exec(d.toString())?.[1] ?? "good"]?.(s));
  });
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  port = (upstream.address() as { port: number }).port;
  proxy = await startEgressProxy({
    socketPath: join(dir, "proxy.sock"),
    allowNet: [`127.0.0.1:${port}`],
    onEvent: (e) => events.push(e),
    responseHeadTimeoutMs: 500,
  });
});
after(async () => {
  await proxy.close();
  upstream.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(path: string): Promise<string> {
  const socket = connect(proxy.socketPath);
  socket.end(`GET http://127.0.0.1:${port}/${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("latin1");
}

for (const mode of Object.keys(answers).filter((m) => m !== "good")) {
  test(`an upstream answering ${mode} gets the client a 502 and the run a failed net event`, async () => {
    const before = events.length;
    const response = await get(mode);
    assert.match(response, /^HTTP\/1\.1 502 Bad Gateway\r\n/, response.slice(0, 120));
    assert.match(response, /closedloop egress proxy: upstream .* failed/);
    const failed = events.slice(before).filter((e) => e.decision === "failed");
    assert.equal(failed.length, 1, JSON.stringify(events.slice(before)));
    assert.equal(failed[0]!.host, "127.0.0.1");
    assert.equal(failed[0]!.port, port);
    // The proxy keeps serving.
    assert.match(await get("good"), /^HTTP\/1\.1 200 OK[\s\S]*ok\n$/);
  });
}

test("a listener that throws on a net event does not take the proxy down", async () => {
  const throwing = await startEgressProxy({
    socketPath: join(dir, "throwing.sock"),
    allowNet: [`127.0.0.1:${port}`],
    onEvent: () => {
      throw new Error("listener bug");
    },
  });
  try {
    const socket = connect(throwing.socketPath);
    socket.end(`GET http://127.0.0.1:${port}/good HTTP/1.1\r\nHost: x\r\n\r\n`);
    const chunks: Buffer[] = [];
    for await (const chunk of socket) chunks.push(chunk as Buffer);
    assert.match(Buffer.concat(chunks).toString(), /^HTTP\/1\.1 200 OK/);
  } finally {
    await throwing.close();
  }
});
