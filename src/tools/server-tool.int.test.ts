// Integration: the server tool against real sandbox backends (each one that is built here).
// Dev servers that crash on start must reach the findings with their file and line.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type BackendName, createSandbox, type Sandbox, SandboxUnavailableError } from "../sandbox/index.ts";
import type { Finding } from "../signals/index.ts";
import { serverTool, stopServers } from "./server-tool.ts";
import type { ToolContext } from "./types.ts";

const workspace = mkdtempSync(join(tmpdir(), "closedloop-server-tool-"));
writeFileSync(join(workspace, "crash.js"), '// dev server\nconst db = require("./missing-module");\n');
writeFileSync(
  join(workspace, "server.js"),
  [
    'const http = require("node:http");',
    "const port = Number(process.argv[2]);",
    "http",
    "  .createServer((req, res) => {",
    '    if (req.url === "/boom") {',
    '      console.error(new RangeError("page size out of range"));',
    "      res.writeHead(500).end();",
    "    } else res.end('ok');",
    '    console.log(req.method + " " + req.url + " " + res.statusCode);',
    "  })",
    '  .listen(port, "127.0.0.1", () => console.log("listening on " + port));',
    "",
  ].join("\n"),
);
after(() => rmSync(workspace, { recursive: true, force: true }));

/** A port free on the host right now (the process backend shares the host's network). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address ? address.port : 0;
}

function contextFor(sandbox: Sandbox): ToolContext {
  const unused = async () => ({ content: "not part of this test", isError: true });
  return { sandbox, runVerifier: unused, claimDone: unused };
}

for (const backend of ["process", "local"] as BackendName[]) {
  describe(`${backend} backend`, () => {
    let sandbox: Sandbox | undefined;
    let unavailable: string | undefined;
    before(async () => {
      try {
        sandbox = await createSandbox({ workspace, backend, quiet: true });
      } catch (error) {
        // Only "cannot run on this machine" skips; any other failure is a failure.
        if (!(error instanceof SandboxUnavailableError)) throw error;
        unavailable = `${backend} backend unavailable: ${error.message}`;
      }
    });
    after(async () => {
      if (!sandbox) return;
      await stopServers(sandbox);
      await sandbox.dispose();
    });

    test(`[${backend}] a dev server that crashes on start reports its error at the requiring file and line`, async (t) => {
      if (!sandbox) return t.skip(unavailable);
      const result = await serverTool.run(
        { action: "start", command: "node crash.js", port: await freePort() },
        contextFor(sandbox),
      );
      assert.equal(result.isError, true);
      assert.match(result.content, /exited \(exit code 1\)/);
      const findings = result.data?.findings as Finding[];
      const thrown = findings.find((f) => f.message.includes("Cannot find module './missing-module'"));
      assert.ok(thrown, result.content);
      assert.equal(thrown.file, "crash.js");
      assert.equal(thrown.line, 2);
      assert.match(result.content, /crash\.js:2:12 Error: Cannot find module/);
    });

    test(`[${backend}] a running server's 5xx and logged errors since the last call become findings`, async (t) => {
      if (!sandbox) return t.skip(unavailable);
      const context = contextFor(sandbox);
      const port = await freePort();
      const started = await serverTool.run(
        { action: "start", command: `node server.js ${port}`, port },
        context,
      );
      assert.equal(started.isError, false, started.content);
      assert.match(started.content, new RegExp(`listening on port ${port}`));
      const probe = await sandbox.exec(
        `node -e "fetch('http://127.0.0.1:${port}/boom').then(r => console.log(r.status))"`,
      );
      assert.equal(probe.stdout.trim(), "500");
      const logs = await serverTool.run({ action: "logs" }, context);
      const findings = logs.data?.findings as Finding[];
      const logged = findings.find((f) => f.message.startsWith("RangeError: page size out of range"));
      assert.ok(logged, logs.content);
      assert.equal(logged.file, "server.js");
      assert.equal(logged.line, 6);
      assert.ok(
        findings.some((f) => f.message === "GET /boom 500"),
        logs.content,
      );
      const quiet = await serverTool.run({ action: "logs", port }, context);
      assert.deepEqual(quiet.data?.findings, []);
      const stopped = await serverTool.run({ action: "stop", port }, context);
      assert.match(stopped.content, /— stopped/);
      assert.deepEqual(stopped.data?.findings, []);
      const none = await serverTool.run({ action: "logs" }, context);
      assert.equal(none.isError, true);
    });
  });
}
