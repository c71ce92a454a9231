// Integration: the server tool against real sandbox backends (each one that is built here).
// Dev servers that crash on start must reach the findings with their file and line.
import assert from "node:assert/strict";
import type { Finding } from "../signals/index.ts";
import { serverTool, stopServers } from "./server-tool.ts";
import {
  createTempWorkspace,
  describeEachBackend,
  findFreePort,
  startWorkspaceServer,
} from "./testing/describe-each-backend.ts";

const workspace = createTempWorkspace("closedloop-server-tool-", {
  "crash.js": '// dev server\nconst db = require("./missing-module");\n',
  "server.js": [
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
});

describeEachBackend({ workspace, release: stopServers }, (backendTest) => {
  backendTest(
    "a dev server that crashes on start reports its error at the requiring file and line",
    async (context) => {
      const result = await serverTool.run(
        { action: "start", command: "node crash.js", port: await findFreePort() },
        context,
      );
      assert.equal(result.isError, true);
      assert.match(result.content, /exited \(exit code 1\)/);
      const findings = result.data?.findings as Finding[];
      const thrown = findings.find((f) => f.message.includes("Cannot find module './missing-module'"));
      assert.ok(thrown, result.content);
      assert.equal(thrown.file, "crash.js");
      assert.equal(thrown.line, 2);
      assert.match(result.content, /crash\.js:2:12 Error: Cannot find module/);
    },
  );

  backendTest(
    "a running server's 5xx and logged errors since the last call become findings",
    async (context) => {
      const { port, started } = await startWorkspaceServer(context);
      assert.match(started.content, new RegExp(`listening on port ${port}`));
      const probe = await context.sandbox.exec(
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
    },
  );
});
