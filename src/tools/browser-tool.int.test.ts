// End to end: a tiny web app served by a dev server inside the sandbox (each backend built
// here), looked at by the real chromium through the browser tool. One browser per backend.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type BackendName, createSandbox, type Sandbox, SandboxUnavailableError } from "../sandbox/index.ts";
import type { Finding } from "../signals/index.ts";
import { browserTool, closeBrowser, resolveTarget } from "./browser-tool.ts";
import { serverTool, stopServers } from "./server-tool.ts";
import type { ToolContext } from "./types.ts";

const workspace = mkdtempSync(join(tmpdir(), "closedloop-browser-tool-"));
mkdirSync(join(workspace, "public"));
writeFileSync(
  join(workspace, "public", "index.html"),
  '<!doctype html><title>Shop</title><h1>Loading</h1>\n<label>Search <input id="q"></label><button onclick="document.title = \'clicked\'">Find</button>\n<script src="/app.js"></script>\n',
);
writeFileSync(
  join(workspace, "public", "app.js"),
  "// app.js: shows the basket\nconst basket = window.basket;\nconsole.log(basket.items.length);\n",
);
writeFileSync(
  join(workspace, "server.js"),
  [
    'const { createServer } = require("node:http");',
    'const { readFile } = require("node:fs");',
    'const { join } = require("node:path");',
    "createServer((req, res) => {",
    '  const file = join(__dirname, "public", req.url === "/" ? "index.html" : req.url);',
    "  readFile(file, (error, body) => {",
    "    if (error) return res.writeHead(404).end();",
    '    res.writeHead(200, { "content-type": file.endsWith(".js") ? "text/javascript" : "text/html" }).end(body);',
    "  });",
    '}).listen(Number(process.argv[2]), "127.0.0.1");',
    "",
  ].join("\n"),
);
after(() => rmSync(workspace, { recursive: true, force: true }));

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

test("goto targets resolve to a sandbox port and path, and only loopback URLs are accepted", () => {
  assert.deepEqual(resolveTarget("http://localhost:5173/login?next=1", undefined, undefined, 3000), {
    port: 5173,
    path: "/login?next=1",
  });
  assert.deepEqual(resolveTarget(undefined, "about", undefined, 3000), { port: 3000, path: "/about" });
  assert.deepEqual(resolveTarget(undefined, undefined, 8080, 3000), { port: 8080, path: "/" });
  assert.match(
    String(resolveTarget("https://example.com/", undefined, undefined, 3000)),
    /only opens pages served inside/,
  );
  assert.match(String(resolveTarget(undefined, "/", undefined, undefined)), /start the app first/);
});

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
      await closeBrowser(sandbox);
      await stopServers(sandbox);
      await sandbox.dispose();
    });

    test(`[${backend}] a page that throws is reported at its workspace file and line, and not after the fix`, async (t) => {
      if (!sandbox) return t.skip(unavailable);
      const context = contextFor(sandbox);
      const port = await freePort();
      const started = await serverTool.run(
        { action: "start", command: `node server.js ${port}`, port },
        context,
      );
      assert.equal(started.isError, false, started.content);

      const broken = await browserTool.run({ action: "goto" }, context);
      const thrown = ((broken.data?.findings ?? []) as Finding[]).find((f) =>
        f.message.startsWith("uncaught TypeError"),
      );
      assert.ok(thrown, broken.content);
      assert.equal(thrown.file, "public/app.js");
      assert.equal(thrown.line, 3);
      assert.match(
        broken.content,
        /public\/app\.js:3:\d+ uncaught TypeError: Cannot read properties of undefined/,
      );
      assert.match(broken.content, new RegExp(`^page http://localhost:${port}/ \\(HTTP 200\\) — "Shop"`));

      await sandbox.writeFile("public/app.js", "document.querySelector('h1').textContent = 'Basket (0)';\n");
      const fixed = await browserTool.run({ action: "goto", port, path: "/" }, context);
      assert.deepEqual(fixed.data?.findings, []);
      assert.match(fixed.content, /no exceptions, console errors or failed requests/);
      assert.match(fixed.content, /headings: h1 Basket \(0\)/);
    });

    test(`[${backend}] click, type, snapshot and screenshot act on the open page`, async (t) => {
      if (!sandbox) return t.skip(unavailable);
      const context = contextFor(sandbox);
      const typed = await browserTool.run(
        { action: "type", role: "textbox", name: "Search", text: "socks" },
        context,
      );
      assert.match(typed.content, /inputs: text#q "Search" = "socks"/);
      const clicked = await browserTool.run({ action: "click", role: "button", name: "Find" }, context);
      assert.match(clicked.content, /— "clicked"/);
      const snapshot = await browserTool.run({ action: "snapshot" }, context);
      assert.match(snapshot.content, /buttons: Find/);
      const shot = await browserTool.run({ action: "screenshot" }, context);
      assert.match(String(shot.data?.screenshotPath), /\.png$/);
      const missing = await browserTool.run({ action: "click" }, context);
      assert.equal(missing.isError, true);
      const idle = await freePort();
      const nobody = await browserTool.run({ action: "goto", port: idle }, context);
      assert.equal(nobody.isError, true);
      assert.match(nobody.content, new RegExp(`nothing listens on port ${idle} inside the sandbox`));
    });
  });
}
