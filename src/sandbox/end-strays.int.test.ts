// Sandbox.endStrays on the local backend: a detached process (setsid) from one command is
// gone before the next, one that took the relay's name too, while the sandbox's own network
// relay keeps working.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createSandbox } from "./index.ts";

const dir = mkdtempSync(join(tmpdir(), "cl-end-strays-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("endStrays ends detached and renamed strays and keeps the host-port relay", async () => {
  const server = createServer((s) => s.end("pong\n"));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  const sb = await createSandbox({ workspace: dir, backend: "local", allowHostPorts: [port] });
  try {
    const rename = `import ctypes, time; ctypes.CDLL(None).prctl(15, b"cl-forward", 0, 0, 0); time.sleep(60)`;
    const started = await sb.exec(
      `setsid sleep 60 </dev/null >/dev/null 2>&1 & setsid python3 -c '${rename}' </dev/null >/dev/null 2>&1 & sleep 0.5; grep -cx cl-forward /proc/[0-9]*/comm | grep -v ':0' | wc -l`,
    );
    assert.equal(started.stdout.trim(), "2", "the relay and the impostor both carry the name");
    const count = "ps -e -o comm= | grep -cE '^(sleep|cl-forward)$'";
    assert.equal((await sb.exec(count)).stdout.trim(), "3", "the strays outlive their command");
    await sb.endStrays();
    assert.equal((await sb.exec(count)).stdout.trim(), "1", "only the relay is left");
    const reply = await sb.exec(
      `node -e 'require("net").connect(${port}, "127.0.0.1").on("data", (d) => process.stdout.write(d))'`,
    );
    assert.equal(reply.stdout, "pong\n", reply.stderr);
  } finally {
    await sb.dispose();
    server.close();
  }
});
