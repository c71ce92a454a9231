// Browser checks in the clean room against real sandboxes and Debian's real Chromium: a tiny
// web app (node http server + index.html + app.js) whose page throws at a known line, its fix,
// missing text, and servers that crash or never listen. One browser for the whole file.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type BackendName, createSandbox } from "../sandbox/index.ts";
import { type BrowserProbe, createBrowserProbe } from "../signals/index.ts";
import { findFreePort } from "../util/index.ts";
import { parseVerifierSpec } from "./parse-verifier-spec.ts";
import type { BrowserCheckSpec, VerifyResult } from "./types.ts";
import { verifyCandidate } from "./verify-candidate.ts";

const workspace = mkdtempSync(join(tmpdir(), "closedloop-browser-check-"));
after(() => rmSync(workspace, { recursive: true, force: true }));
mkdirSync(join(workspace, "public"));
const files: Record<string, string> = {
  "server.js": [
    'import { readFileSync } from "node:fs";',
    'import { createServer } from "node:http";',
    "const types = { js: 'text/javascript', html: 'text/html' };",
    "createServer((req, res) => {",
    "  const name = req.url === '/' ? 'index.html' : req.url.slice(1).split('?')[0];",
    "  try {",
    "    const body = readFileSync(new URL('./public/' + name, import.meta.url));",
    "    res.writeHead(200, { 'content-type': types[name.split('.').pop()] ?? 'text/plain' }).end(body);",
    "  } catch {",
    "    res.writeHead(404).end('not found');",
    "  }",
    "}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));",
    "",
  ].join("\n"),
  "crash.js": "console.log('booting');\nthrow new Error('database url is not set');\n",
  "package.json": '{ "type": "module" }\n',
  "public/index.html":
    '<!doctype html><title>Todo</title><h1>Loading</h1>\n<script src="/app.js"></script>\n',
  // Line 3 sets a property of null.
  "public/app.js":
    "// app.js: renders the greeting\nconst title = document.querySelector('#title');\ntitle.textContent = 'Hello';\n",
};
for (const [path, content] of Object.entries(files)) writeFileSync(join(workspace, path), content);
const fixedApp = "// app.js: renders the greeting\ndocument.querySelector('h1').textContent = 'Hello';\n";

async function usableBackends(): Promise<BackendName[]> {
  const usable: BackendName[] = [];
  for (const backend of ["local", "process"] as const) {
    try {
      await (await createSandbox({ workspace, backend, quiet: true })).dispose();
      usable.push(backend);
    } catch {}
  }
  return usable;
}

let probe: BrowserProbe;
before(async () => {
  probe = await createBrowserProbe();
});
after(async () => {
  await probe?.dispose();
});

const backends = await usableBackends();
test("at least one sandbox backend runs here", () => assert.ok(backends.length > 0));

for (const backend of backends) {
  describe(`browser checks on the ${backend} backend`, () => {
    const policy = { backend, quiet: true } as const;

    async function patchWith(app: string): Promise<string> {
      const working = await createSandbox({ workspace, ...policy });
      try {
        await working.writeFile("public/app.js", app);
        return await working.diff();
      } finally {
        await working.dispose();
      }
    }

    async function verify(
      check: Omit<BrowserCheckSpec, "port">,
      patch: string,
      serverWaitMs?: number,
    ): Promise<{ result: VerifyResult; port: number }> {
      const port = await findFreePort();
      const spec = parseVerifierSpec({ verify: [], browserChecks: [{ ...check, port }] });
      const result = await verifyCandidate({
        spec,
        workspace,
        patch,
        sandboxPolicy: policy,
        browserProbe: probe,
        ...(serverWaitMs !== undefined ? { serverWaitMs } : {}),
      });
      return { result, port };
    }

    test("a page that throws fails the verdict with a finding naming app.js and the line", async () => {
      const { result, port } = await verify({ serve: "node server.js", expectText: "Hello" }, "");
      assert.equal(result.verdict, "fail", result.text);
      const thrown = result.findings.find((f) => f.message.startsWith("uncaught TypeError"));
      assert.ok(thrown, result.text);
      assert.equal(thrown.file, "public/app.js");
      assert.equal(thrown.line, 3);
      assert.ok(thrown.column !== undefined && thrown.column > 1);
      assert.match(result.text, new RegExp(`✗ browser check http://localhost:${port}/ — uncaught TypeError`));
      assert.match(result.text, /public\/app\.js:3:\d+/);
      const entry = result.commands.find((c) => c.browser);
      assert.equal(entry?.passed, false);
      assert.equal(entry?.browser?.stage, "page-opened");
      // The host bridge's address never reaches the model.
      assert.doesNotMatch(result.text, /127\.0\.0\.1:\d+/);
    });

    test("after the candidate patch fixes app.js the same check passes", async () => {
      const { result, port } = await verify(
        { serve: "node server.js", expectText: "Hello" },
        await patchWith(fixedApp),
      );
      assert.equal(result.verdict, "pass", result.text);
      assert.deepEqual(result.findings, []);
      assert.match(
        result.text,
        new RegExp(`✓ browser check http://localhost:${port}/ — loaded, shows "Hello"`),
      );
    });

    test("a page without the expected text fails and says which text is missing", async () => {
      const { result } = await verify(
        { serve: "node server.js", expectText: "Goodbye" },
        await patchWith(fixedApp),
      );
      assert.equal(result.verdict, "fail");
      assert.match(result.text, /expected text not on the page: "Goodbye"/);
      assert.equal(result.findings.length, 1);
    });

    test("a serve command that crashes fails with its error in the text, not a verifier error", async () => {
      const { result, port } = await verify({ serve: "node crash.js" }, "");
      assert.equal(result.verdict, "fail", result.text);
      const entry = result.commands.find((c) => c.browser);
      assert.equal(entry?.browser?.stage, "server-exited");
      assert.match(result.text, new RegExp(`exited \\(exit code 1\\) before listening on port ${port}`));
      assert.match(result.text, /database url is not set/);
      assert.ok(
        result.findings.some((f) => f.file === "crash.js" && f.line === 2),
        result.text,
      );
    });

    test("a server that never listens fails once the wait is over", async () => {
      const { result, port } = await verify({ serve: "node -e 'setInterval(() => {}, 1000)'" }, "", 1_500);
      assert.equal(result.verdict, "fail", result.text);
      assert.equal(result.commands.find((c) => c.browser)?.browser?.stage, "server-silent");
      assert.match(result.text, new RegExp(`nothing listened on port ${port} within 2 s`));
    });

    if (backend === "process")
      test("a page served by another program on the port does not pass when the app itself died", async () => {
        // The process backend shares the host's network: the app gets EADDRINUSE and exits,
        // while a host program answers on its port with exactly the expected page.
        const impostor = createHttpServer((_req, res) => {
          res.writeHead(200, { "content-type": "text/html" }).end("<title>Todo</title><h1>Hello</h1>");
        });
        const port = await new Promise<number>((resolve) =>
          impostor.listen(0, "127.0.0.1", () => resolve((impostor.address() as { port: number }).port)),
        );
        try {
          const spec = parseVerifierSpec({
            verify: [],
            browserChecks: [{ serve: "node server.js", port, expectText: "Hello" }],
          });
          const result = await verifyCandidate({
            spec,
            workspace,
            patch: await patchWith(fixedApp),
            sandboxPolicy: policy,
            browserProbe: probe,
          });
          assert.equal(result.verdict, "fail", result.text);
          assert.match(result.text, /EADDRINUSE/);
        } finally {
          impostor.close();
        }
      });
  });
}
