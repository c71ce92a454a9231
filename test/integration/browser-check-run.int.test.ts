// End to end through the CLI: a verifier made of a browser check alone keeps the run red
// while the page throws in real Chromium, and goes green once the scripted model fixes it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../../bin/closedloop.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "closedloop-browser-run-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const brokenApp = 'const el = document.querySelector("#missing");\nel.textContent = "Hello";\n';
const fixedApp = 'const el = document.querySelector("#out");\nel.textContent = "Hello";\n';

test("a browser check keeps the run red while the page throws and passes once it is fixed", () => {
  const project = join(dir, "project");
  mkdirSync(join(project, "public"), { recursive: true });
  writeFileSync(
    join(project, "server.js"),
    `const http = require("node:http"); const fs = require("node:fs"); const path = require("node:path");
http.createServer((req, res) => {
  const file = path.join(__dirname, "public", req.url === "/" ? "index.html" : req.url);
  fs.readFile(file, (err, body) => { res.statusCode = err ? 404 : 200; res.end(err ? "not found" : body); });
}).listen(Number(process.env.PORT || 3000), "127.0.0.1");
`,
  );
  writeFileSync(
    join(project, "public", "index.html"),
    '<!doctype html><p id="out"></p><script src="/app.js"></script>\n',
  );
  writeFileSync(join(project, "public", "app.js"), brokenApp);
  const turns = join(dir, "turns.json");
  writeFileSync(
    turns,
    JSON.stringify({
      turns: [
        { text: "Looks fine to me.", toolCalls: [{ name: "done", args: { summary: "nothing to do" } }] },
        {
          text: "The script looks up the wrong element.",
          toolCalls: [
            { name: "edit_file", args: { path: "public/app.js", oldText: "#missing", newText: "#out" } },
          ],
        },
        { text: "Fixed.", toolCalls: [{ name: "done", args: { summary: "app.js selects #out" } }] },
      ],
    }),
  );
  const r = spawnSync(
    process.execPath,
    [
      cli,
      "run",
      "make the page show Hello",
      "--browser-check",
      "3000/=node server.js",
      "--expect-text",
      "Hello",
      "--model",
      `scripted:${turns}`,
      "--sandbox",
      "local",
      "--runs-dir",
      join(dir, "runs"),
      "--plain",
    ],
    { cwd: project, encoding: "utf8", timeout: 240_000 },
  );
  const out = r.stdout + r.stderr;
  assert.equal(r.status, 0, out);
  assert.match(out, /REFUSED/i, "the early done claim was refused");
  // What the model was told when its first done was refused: the exception and where it is.
  const runs = join(dir, "runs");
  const runId = readdirSync(runs).find((name) => name !== "index.jsonl")!;
  const events = readFileSync(join(runs, runId, "events.jsonl"), "utf8");
  assert.match(events, /TypeError/, "the page's exception reached the model");
  assert.match(events, /app\.js:2/, "with its source line");
  const patch = readFileSync(join(runs, runId, "patch.diff"), "utf8");
  assert.ok(patch.includes(`+${fixedApp.split("\n")[0]}`), "the handed-over patch carries the fix");
  assert.equal(
    readFileSync(join(project, "public", "app.js"), "utf8"),
    brokenApp,
    "the host tree is untouched",
  );
});
