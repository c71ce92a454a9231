// End to end: a tiny web app served by a dev server inside the sandbox (each backend built
// here), looked at by the real chromium through the browser tool. One browser per backend.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Sandbox } from "../sandbox/index.ts";
import type { Finding } from "../signals/index.ts";
import { browserTool, closeBrowser, resolveTarget } from "./browser-tool.ts";
import { stopServers } from "./server-tool.ts";
import {
  createTempWorkspace,
  describeEachBackend,
  findFreePort,
  startWorkspaceServer,
} from "./testing/describe-each-backend.ts";

const workspace = createTempWorkspace("closedloop-browser-tool-", {
  "public/index.html":
    '<!doctype html><title>Shop</title><h1>Loading</h1>\n<label>Search <input id="q"></label><button onclick="document.title = \'clicked\'">Find</button>\n<script src="/app.js"></script>\n',
  "public/app.js":
    "// app.js: shows the basket\nconst basket = window.basket;\nconsole.log(basket.items.length);\n",
  "server.js": [
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
});

/** Closes the page's browser, then the dev servers, so the sandbox can be disposed. */
async function releaseWebTools(sandbox: Sandbox): Promise<void> {
  await closeBrowser(sandbox);
  await stopServers(sandbox);
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

describeEachBackend({ workspace, release: releaseWebTools }, (backendTest) => {
  backendTest(
    "a page that throws is reported at its workspace file and line, and not after the fix",
    async (context) => {
      const { port } = await startWorkspaceServer(context);

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

      await context.sandbox.writeFile(
        "public/app.js",
        "document.querySelector('h1').textContent = 'Basket (0)';\n",
      );
      const fixed = await browserTool.run({ action: "goto", port, path: "/" }, context);
      assert.deepEqual(fixed.data?.findings, []);
      assert.match(fixed.content, /no exceptions, console errors or failed requests/);
      assert.match(fixed.content, /headings: h1 Basket \(0\)/);
    },
  );

  backendTest("click, type, snapshot and screenshot act on the open page", async (context) => {
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
    const idle = await findFreePort();
    const nobody = await browserTool.run({ action: "goto", port: idle }, context);
    assert.equal(nobody.isError, true);
    assert.match(nobody.content, new RegExp(`nothing listens on port ${idle} inside the sandbox`));
  });
});
