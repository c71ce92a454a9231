// The MCP server over Streamable HTTP (`closedloop serve`), driven by the SDK's own client:
// sessions keep clients apart, a session that ends loses its sandboxes, a long run survives a
// short client time-out through progress and stops when cancelled, and the HTTP server
// refuses foreign Host/Origin headers and (with --host) requests without the token.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { request } from "node:http";
import { after, before, test } from "node:test";
import type { Client } from "@modelcontextprotocol/client";
import {
  connectHttp,
  createDemoWorkspace,
  isAlive,
  type ServeProcess,
  startServe,
  structured,
  textOf,
  waitUntil,
  writeFixScript,
} from "./testing/mcp-fixtures.ts";

const ws = createDemoWorkspace();
let serve: ServeProcess;

before(async () => {
  serve = await startServe(["--runs-dir", ws.runsDir, "--heartbeat", "300ms"], ws.root);
});
after(async () => {
  await serve?.stop();
  rmSync(ws.root, { recursive: true, force: true });
});

async function createSandbox(client: Client): Promise<{ id: string; hostPid: number }> {
  const result = await client.callTool({ name: "sandbox_create", arguments: { workspace: ws.project } });
  assert.equal(result.isError, undefined, textOf(result));
  return structured(result);
}

test("two clients side by side: neither sees nor touches the other's sandbox", async () => {
  const a = await connectHttp(`${serve.url}/mcp`);
  const b = await connectHttp(`${serve.url}/mcp`);
  try {
    const mine = await createSandbox(a);
    const listB = await b.callTool({ name: "sandbox_list", arguments: {} });
    assert.deepEqual(structured<{ sandboxes: unknown[] }>(listB).sandboxes, []);
    const attempts: [string, Record<string, unknown>][] = [
      ["sandbox_exec", { id: mine.id, command: "echo hi" }],
      ["sandbox_read_file", { id: mine.id, path: "package.json" }],
      ["sandbox_diff", { id: mine.id }],
      ["sandbox_dispose", { id: mine.id }],
    ];
    for (const [name, args] of attempts) {
      const stolen = await b.callTool({ name, arguments: args });
      assert.equal(stolen.isError, true, `${name} from another session is refused`);
      assert.match(textOf(stolen), new RegExp(`no sandbox '${mine.id}' in this session`));
    }
    const still = await a.callTool({
      name: "sandbox_exec",
      arguments: { id: mine.id, command: "echo still mine" },
    });
    assert.match(textOf(still), /still mine/);
  } finally {
    await a.close();
    await b.close();
  }
});

test("a session that ends loses its sandboxes (no process left behind)", async () => {
  const client = await connectHttp(`${serve.url}/mcp`);
  const sandbox = await createSandbox(client);
  assert.ok(isAlive(sandbox.hostPid), "the sandbox runs while its session lives");
  // Ending the session is an HTTP DELETE; the transport then closes.
  const transport = client.transport as unknown as { terminateSession(): Promise<void> };
  await transport.terminateSession();
  await client.close();
  await waitUntil("the sandbox's processes are gone", () => !isAlive(sandbox.hostPid));
});

test("a long run outlives a short client time-out through progress; without reset it times out", async () => {
  const client = await connectHttp(`${serve.url}/mcp`);
  try {
    const args = (script: string) => ({
      task: "Fix the cart so node --test test/ passes.",
      workspace: ws.project,
      verify: ["node --test test/"],
      protect: ["test/**"],
      model: `scripted:${script}`,
      max_steps: 10,
    });
    // Negative control first: the same kind of run, a 1.5 s time-out, no reset on progress.
    const cut = await client
      .callTool(
        { name: "run", arguments: args(writeFixScript(ws.root, { slowSteps: 4, stepSeconds: 0.8 })) },
        {
          timeout: 1500,
          onprogress: () => {},
        },
      )
      .then(
        () => undefined,
        (error: Error) => error,
      );
    assert.ok(cut instanceof Error, "the client gives up after 1.5 s when progress does not reset it");
    assert.match(cut.message, /time(d)? ?out/i);

    const progress: number[] = [];
    const started = Date.now();
    const result = await client.callTool(
      { name: "run", arguments: args(writeFixScript(ws.root, { slowSteps: 4, stepSeconds: 0.8 })) },
      { timeout: 1500, resetTimeoutOnProgress: true, onprogress: (p) => progress.push(p.progress) },
    );
    const elapsed = Date.now() - started;
    assert.equal(result.isError, undefined, textOf(result));
    assert.equal(structured<{ verified: boolean }>(result).verified, true, textOf(result));
    assert.ok(elapsed > 3000, `the run took ${elapsed} ms, well past the 1.5 s time-out`);
    assert.ok(progress.length >= 6, `progress at every step (${progress.length} notifications)`);
    assert.deepEqual(
      progress,
      [...progress].sort((x, y) => x - y),
      "progress only increases",
    );
  } finally {
    await client.close();
  }
});

test("cancelling a run stops it: the run ends interrupted after a few steps", async () => {
  const client = await connectHttp(`${serve.url}/mcp`);
  try {
    const controller = new AbortController();
    let runId: string | undefined;
    const call = client.callTool(
      {
        name: "run",
        arguments: {
          task: "Fix the cart.",
          workspace: ws.project,
          verify: ["node --test test/"],
          model: `scripted:${writeFixScript(ws.root, { slowSteps: 20, stepSeconds: 0.5 })}`,
          max_steps: 30,
        },
      },
      {
        resetTimeoutOnProgress: true,
        signal: controller.signal,
        onprogress: (p) => {
          runId ??= /run (\S+) started/.exec(p.message ?? "")?.[1];
          if (/^step 2/.test(p.message ?? "")) controller.abort("the user clicked stop");
        },
      },
    );
    await assert.rejects(call);
    assert.ok(runId, "the run announced its id");
    await waitUntil(
      "the run is recorded as interrupted",
      async () => {
        const shown = await client.callTool({ name: "run_show", arguments: { id: runId } });
        return structured<{ summary: { outcome?: string } }>(shown).summary.outcome === "interrupted";
      },
      30_000,
    );
    const shown = structured<{ summary: { steps: number } }>(
      await client.callTool({ name: "run_show", arguments: { id: runId } }),
    );
    assert.ok(shown.summary.steps < 10, `stopped early (after ${shown.summary.steps} steps, not 20)`);
  } finally {
    await client.close();
  }
});

test("foreign Host or Origin headers are refused (DNS rebinding), loopback ones accepted", async () => {
  const init = JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
  });
  // node:http, since fetch() will not send a Host header of the caller's choosing.
  const { port } = new URL(serve.url);
  const status = (path: string, method: string, headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          path,
          method,
          headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            ...headers,
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on("error", reject);
      req.end(method === "POST" ? init : undefined);
    });
  assert.equal(await status("/mcp", "POST", { host: "attacker.example" }), 403);
  assert.equal(await status("/mcp", "POST", { host: `attacker.example:${port}` }), 403);
  assert.equal(await status("/mcp", "POST", { origin: "http://attacker.example" }), 403);
  assert.equal(await status("/api/runs", "GET", { host: `rebound.attacker.example:${port}` }), 403);
  assert.equal(await status("/", "GET", { origin: "null" }), 403);
  assert.equal(await status("/mcp", "POST", { host: `localhost:${port}`, origin: serve.url }), 200);
  assert.equal(await status("/api/runs", "GET", { host: `127.0.0.1:${port}` }), 200);
});

test("--host needs a token; with one, requests without it are refused", async () => {
  const refused = await startServe(["--host", "0.0.0.0", "--runs-dir", ws.runsDir], ws.root).then(
    (s) => s.stop().then(() => undefined),
    (error: Error) => error,
  );
  assert.ok(refused instanceof Error);
  assert.match(refused.message, /needs|give --token/);

  const token = "t0ken-for-the-test-0123456789";
  // A token on a loopback server: every request must carry it all the same.
  const guarded = await startServe(["--token", token, "--runs-dir", ws.runsDir], ws.root);
  try {
    assert.equal((await fetch(`${guarded.url}/api/runs`)).status, 401);
    const bad = await connectHttp(`${guarded.url}/mcp`, {
      authorization: "Bearer wrong-token-0123456789",
    }).then(
      () => undefined,
      (error: Error) => error,
    );
    assert.ok(bad instanceof Error, "a wrong token cannot open a session");
    const good = await connectHttp(`${guarded.url}/mcp`, { authorization: `Bearer ${token}` });
    const { tools } = await good.listTools();
    assert.equal(tools.length, 12);
    await good.close();
    assert.equal(
      (await fetch(`${guarded.url}/api/runs`, { headers: { authorization: `Bearer ${token}` } })).status,
      200,
    );
  } finally {
    await guarded.stop();
  }
});
