// The port exposer for real: host TCP on 127.0.0.1 in, a UNIX socket out.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { startPortExposer } from "./port-exposer.ts";

const dir = mkdtempSync(join(tmpdir(), "cl-expose-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("connections to the exposed loopback port reach the UNIX socket, both ways with half-close", async () => {
  const unixPath = join(dir, "inside.sock");
  const server = createServer({ allowHalfOpen: true }, (s) => {
    let got = "";
    s.on("data", (d) => {
      got += d;
    });
    s.on("end", () => s.end(`inside got ${got}`));
  });
  server.listen(unixPath);
  await once(server, "listening");
  const exposed = await startPortExposer({ unixPath });
  try {
    assert.equal(exposed.host, "127.0.0.1");
    assert.ok(exposed.port > 0);
    const client = connect({ host: exposed.host, port: exposed.port, allowHalfOpen: true });
    client.end("GET / HTTP/1.0\r\n\r\n");
    let reply = "";
    for await (const chunk of client) reply += chunk;
    assert.equal(reply, "inside got GET / HTTP/1.0\r\n\r\n");
  } finally {
    await exposed.close();
    server.close();
  }
  const refused = connect({ host: "127.0.0.1", port: exposed.port });
  const [error] = (await once(refused, "error")) as [NodeJS.ErrnoException];
  assert.equal(error.code, "ECONNREFUSED", "close stops listening");
});
