// The network policy put together: startSandboxNetwork's sockets and forwarder arguments,
// then cl-forward run with exactly those arguments in a loopback-only namespace created here
// (root only), so the test sees what sandboxed code sees.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { type AddressInfo, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { NetEvent } from "./index.ts";
import { NetRuleError } from "./net-rules.ts";
import { HostPortError, startSandboxNetwork } from "./sandbox-network.ts";

const dir = mkdtempSync(join(tmpdir(), "cl-sbnet-"));
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});
const canUnshare = process.getuid?.() === 0 && spawnSync("unshare", ["--net", "true"]).status === 0;

async function loopbackServer(reply: string): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.end(reply));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as AddressInfo).port };
}

test("no allowNet and no host ports start nothing and leave the sandbox loopback-only", async () => {
  const net = await startSandboxNetwork({ hostDir: dir });
  assert.deepEqual(net.forwardArgs, []);
  assert.deepEqual(net.env, {});
  await net.close();
});

test("bad rules and ports are user errors raised before anything listens", async () => {
  await assert.rejects(startSandboxNetwork({ hostDir: dir, allowNet: ["*"] }), NetRuleError);
  await assert.rejects(startSandboxNetwork({ hostDir: dir, allowHostPorts: [70000] }), HostPortError);
  assert.throws(() => statSync(join(dir, "proxy.sock")), /ENOENT/);
});

test("sockets, forwarder arguments and proxy variables match the policy", async () => {
  const net = await startSandboxNetwork({
    hostDir: dir,
    allowNet: ["registry.npmjs.org"],
    allowHostPorts: [3128, 5432],
  });
  try {
    assert.deepEqual(net.forwardArgs, [
      "tcp:3129=unix:/run/closedloop/net/proxy.sock", // 3128 is taken by a host port
      "tcp:3128=unix:/run/closedloop/net/host-3128.sock",
      "tcp:5432=unix:/run/closedloop/net/host-5432.sock",
    ]);
    assert.equal(net.env.HTTPS_PROXY, "http://127.0.0.1:3129");
    assert.equal(net.env.http_proxy, "http://127.0.0.1:3129");
    assert.equal(net.env.NO_PROXY, "localhost,127.0.0.1,::1");
    for (const name of ["proxy.sock", "host-3128.sock", "host-5432.sock"])
      assert.equal(statSync(join(dir, name)).mode & 0o777, 0o666, name);
  } finally {
    await net.close();
  }
  assert.throws(() => statSync(join(dir, "host-5432.sock")), /ENOENT/, "close removes every socket");
});

test("inside a loopback-only namespace: the allowed host port and proxy work, another host port does not", {
  skip: canUnshare ? false : "needs root and unshare --net",
}, async (t) => {
  const db = await loopbackServer("db says hi");
  const other = await loopbackServer("other says hi");
  const web = await loopbackServer("web says hi");
  t.after(() => {
    for (const s of [db, other, web]) s.server.close();
  });
  const events: NetEvent[] = [];
  const net = await startSandboxNetwork({
    hostDir: dir,
    sandboxDir: dir, // no mount namespace here: the path inside is the host path
    allowNet: ["web.test", `127.0.0.1:${web.port}`], // web.test → 127.0.0.1: named on web.port only
    allowHostPorts: [db.port],
    onEvent: (e) => events.push(e),
    resolve: async () => ["127.0.0.1"],
  });
  t.after(() => net.close());
  const bin = join(dir, "cl-forward");
  const source = new URL("../../native/cl-forward.c", import.meta.url).pathname;
  assert.equal(spawnSync(process.env.CC ?? "cc", ["-O2", "-o", bin, source]).status, 0);
  // One shell in a fresh namespace: loopback up, the forwarder, then a client that tries
  // the allowed host port, another host port, and an HTTPS-style tunnel through the proxy.
  const client = `
      const net = require("node:net");
      const get = (port, send) => new Promise((resolve) => {
        const s = net.connect(port, "127.0.0.1");
        let got = "";
        s.on("connect", () => send && s.write(send));
        s.on("data", (d) => (got += d));
        s.on("error", (e) => resolve(e.code));
        s.on("close", () => resolve(got));
      });
      (async () => {
        const proxy = Number(process.env.HTTP_PROXY.split(":").pop());
        console.log(JSON.stringify({
          db: await get(${db.port}),
          other: await get(${other.port}),
          tunnel: await get(proxy, "CONNECT 127.0.0.1:${web.port} HTTP/1.1\\r\\n\\r\\n"),
          denied: await get(proxy, "CONNECT web.test:443 HTTP/1.1\\r\\n\\r\\n"),
        }));
      })();
    `;
  const script = `ip link set lo up || exit 1; "$0" ${net.forwardArgs.join(" ")} >/dev/null & sleep 0.3; "$1" -e "$2"; kill $!`;
  const child = spawn("unshare", ["--net", "sh", "-c", script, bin, process.execPath, client], {
    env: { ...process.env, ...net.env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  let out = "";
  for await (const chunk of child.stdout!) out += chunk;
  const result = JSON.parse(out) as Record<string, string>;
  assert.equal(result.db, "db says hi");
  assert.equal(result.other, "ECONNREFUSED");
  assert.match(result.tunnel!, /^HTTP\/1\.1 200 Connection Established\r\n\r\nweb says hi$/);
  assert.match(result.denied!, /^HTTP\/1\.1 403 [\s\S]*loopback/);
  assert.deepEqual(
    events.map((e) => [e.kind, e.port, e.decision]),
    [
      ["host-port", db.port, "allowed"],
      ["proxy", web.port, "allowed"],
      ["proxy", 443, "denied"],
    ],
  );
});
