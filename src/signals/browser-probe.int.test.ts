// Integration: real Debian chromium against a tiny web app served by a loopback node server.
// One browser for the whole file, closed at the end.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { after, before, test } from "node:test";
import {
  type BrowserProbe,
  createBrowserProbe,
  formatBrowserObservation,
  runBrowserCheck,
} from "./browser-probe.ts";

const root = mkdtempSync(join(tmpdir(), "closedloop-webapp-"));
const brokenApp = [
  "// app.js: renders the greeting",
  "const target = document.querySelector('#missing');",
  "target.textContent = 'hello';",
  "",
].join("\n");
const fixedApp = "document.querySelector('h1').textContent = 'Todo';\n";

function serve(dir: string, hits: string[]): Promise<Server> {
  const server = createServer((req, res) => {
    hits.push(req.url ?? "");
    const path = join(dir, (req.url ?? "/").split("?")[0]!.replace(/\/$/, "/index.html"));
    if (!path.startsWith(dir) || !existsSync(path)) {
      res.writeHead(404).end("not found");
      return;
    }
    const type = extname(path) === ".js" ? "text/javascript" : "text/html";
    res.writeHead(200, { "content-type": type }).end(readFileSync(path));
  });
  server.on("upgrade", (req, socket) => {
    hits.push(`upgrade ${req.url}`);
    socket.destroy();
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

let probe: BrowserProbe;
let app: Server;
let outside: Server;
const outsideHits: string[] = [];
let base = "";
let outsideBase = "";

before(async () => {
  app = await serve(root, []);
  outside = await serve(root, outsideHits);
  base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  outsideBase = `http://127.0.0.1:${(outside.address() as AddressInfo).port}`;
  writeFileSync(
    join(root, "index.html"),
    '<!doctype html><title>Todo</title><h1>Loading</h1><button>Add</button>\n<input id="todo" placeholder="What next?">\n<script src="/app.js"></script>\n',
  );
  writeFileSync(join(root, "app.js"), brokenApp);
  writeFileSync(join(root, "syntax.js"), "// half-written\nconst total = ;\n");
  writeFileSync(
    join(root, "noisy.html"),
    [
      "<!doctype html><title>Noisy</title><h2>Noisy page</h2>",
      '<script src="/missing.js"></script><script src="/syntax.js"></script>',
      `<img src="${outsideBase}/pixel.png">`,
      "<script>",
      "console.error('cart total is NaN');",
      `fetch('${outsideBase}/api').catch(() => {});`,
      `new WebSocket('${outsideBase.replace("http:", "ws:")}/socket');`,
      "</script>",
      '<button id="go" onclick="null.go()">Go</button>',
    ].join("\n"),
  );
  probe = await createBrowserProbe({ webRoot: root, actionTimeoutMs: 1_000 });
});

after(async () => {
  await probe?.dispose();
  app?.close();
  outside?.close();
  rmSync(root, { recursive: true, force: true });
});

test("a script that throws on load is reported with its workspace file, line and column", async () => {
  const observation = await probe.goto(`${base}/`);
  assert.equal(observation.status, 200);
  const thrown = observation.findings.filter((f) => f.message.startsWith("uncaught TypeError"));
  assert.equal(thrown.length, 1, formatBrowserObservation(observation));
  assert.equal(thrown[0]!.file, "app.js");
  assert.equal(thrown[0]!.line, 3);
  assert.equal(thrown[0]!.column, 20);
  assert.deepEqual(observation.page.headings, ["h1 Loading"]);
  assert.deepEqual(observation.page.buttons, ["Add"]);
  assert.match(
    formatBrowserObservation(observation),
    /app\.js:3:20 uncaught TypeError: Cannot set properties of null/,
  );
});

test("after the script is fixed the same page reports no problem", async () => {
  writeFileSync(join(root, "app.js"), fixedApp);
  const observation = await probe.goto(`${base}/`);
  assert.deepEqual(observation.findings, []);
  assert.deepEqual(observation.page.headings, ["h1 Todo"]);
  writeFileSync(join(root, "app.js"), brokenApp);
});

test("console errors, a syntax error and a 404 script are reported, and other origins are blocked before any connection", async () => {
  const observation = await probe.goto(`${base}/noisy.html`);
  const messages = observation.findings.map((f) => f.message);
  assert.ok(messages.includes("GET /missing.js → 404 Not Found"), messages.join("\n"));
  const consoleError = observation.findings.find((f) => f.message === "console.error: cart total is NaN");
  assert.ok(consoleError, messages.join("\n"));
  assert.equal(consoleError.file, "noisy.html");
  assert.equal(consoleError.line, 5);
  const socket = `${outsideBase.replace("http:", "ws:")}/socket`;
  assert.deepEqual(observation.blocked.sort(), [`${outsideBase}/api`, `${outsideBase}/pixel.png`, socket]);
  assert.deepEqual(outsideHits, []);
  const syntax = observation.findings.find((f) => f.message.startsWith("uncaught SyntaxError"));
  assert.equal(`${syntax?.file}:${syntax?.line}`, "syntax.js:2");
});

test("click and type act on the page and report what the click threw", async () => {
  await probe.goto(`${base}/noisy.html`);
  const clicked = await probe.click({ role: "button", name: "Go" });
  const thrown = clicked.findings.find((f) => f.message.startsWith("uncaught TypeError"));
  assert.ok(thrown, formatBrowserObservation(clicked));
  assert.equal(thrown.file, "noisy.html");
  assert.equal(thrown.line, 9);
  const missing = await probe.click({ selector: "#nope" });
  assert.match(missing.actionError ?? "", /Timeout/);
  await probe.goto(`${base}/`);
  const typed = await probe.type({ selector: "#todo" }, "buy milk");
  assert.deepEqual(typed.page.inputs, ['text#todo "What next?" = "buy milk"']);
});

test("a screenshot is a PNG file", async () => {
  const observation = await probe.screenshot();
  assert.ok(observation.screenshotPath);
  const bytes = readFileSync(observation.screenshotPath);
  assert.deepEqual([...bytes.subarray(1, 4)], [...Buffer.from("PNG")]);
});

test("a browser check passes a clean page with its text and fails a broken one with the exception", async () => {
  writeFileSync(join(root, "app.js"), fixedApp);
  const good = await runBrowserCheck(`${base}/`, { probe, expectText: "Todo" });
  assert.equal(good.ok, true, JSON.stringify(good.findings));
  const absent = await runBrowserCheck(`${base}/`, { probe, expectText: "Welcome back" });
  assert.equal(absent.ok, false);
  assert.match(absent.findings[0]!.message, /expected text not on the page: "Welcome back"/);
  writeFileSync(join(root, "app.js"), brokenApp);
  const broken = await runBrowserCheck(`${base}/`, { probe });
  assert.equal(broken.ok, false);
  assert.equal(broken.findings[0]!.file, "app.js");
  const noisy = await runBrowserCheck(`${base}/noisy.html`, { probe });
  assert.equal(noisy.ok, false);
});
