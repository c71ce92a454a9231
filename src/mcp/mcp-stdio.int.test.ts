// The MCP server over stdio, driven by the official SDK client as Claude Code or Cursor would:
// a `closedloop mcp` subprocess, real local (bubblewrap) sandboxes, the scripted model for runs.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Client } from "@modelcontextprotocol/client";
import {
  connectStdio,
  createDemoWorkspace,
  structured,
  textOf,
  writeFixScript,
} from "./testing/mcp-fixtures.ts";

const ws = createDemoWorkspace();
let client: Client;
let close: () => Promise<void>;

before(async () => {
  const connected = await connectStdio(["--runs-dir", ws.runsDir, "--max-sandboxes", "3"], ws.root);
  client = connected.client;
  close = () => connected.client.close();
});
after(async () => {
  await close?.();
  rmSync(ws.root, { recursive: true, force: true });
});

test("lists every closedloop tool with a description and an input schema", async () => {
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name).sort();
  assert.deepEqual(names, [
    "check",
    "run",
    "run_show",
    "runs_list",
    "sandbox_create",
    "sandbox_diff",
    "sandbox_dispose",
    "sandbox_exec",
    "sandbox_list",
    "sandbox_read_file",
    "sandbox_write_file",
    "verify",
  ]);
  for (const tool of tools) {
    assert.ok((tool.description ?? "").length > 60, `${tool.name} has a description a model can act on`);
    assert.equal(tool.inputSchema.type, "object");
  }
});

test("a sandbox runs the failing tests with parsed findings, writes stay off the host, diff shows them", async () => {
  const created = await client.callTool({ name: "sandbox_create", arguments: { workspace: ws.project } });
  assert.equal(created.isError, undefined, textOf(created));
  const { id, isolated } = structured<{ id: string; isolated: boolean }>(created);
  assert.equal(isolated, true);

  const run = await client.callTool({
    name: "sandbox_exec",
    arguments: { id, command: "node --test test/" },
  });
  const exec = structured<{ exitCode: number; findings: { test?: string }[]; summary: { failed?: number } }>(
    run,
  );
  assert.equal(exec.exitCode, 1);
  assert.ok(exec.findings.length >= 2, `two failing tests are named: ${textOf(run)}`);
  assert.match(textOf(run), /exit 1/);

  const before = readFileSync(join(ws.project, "src/cart.js"), "utf8");
  const write = await client.callTool({
    name: "sandbox_write_file",
    arguments: { id, path: "src/extra.js", content: "export const x = 1;\n" },
  });
  assert.equal(write.isError, undefined, textOf(write));
  assert.equal(existsSync(join(ws.project, "src/extra.js")), false, "the host tree is untouched");
  assert.equal(readFileSync(join(ws.project, "src/cart.js"), "utf8"), before);

  const read = await client.callTool({ name: "sandbox_read_file", arguments: { id, path: "src/extra.js" } });
  assert.equal(textOf(read), "export const x = 1;\n");
  const diff = await client.callTool({ name: "sandbox_diff", arguments: { id } });
  assert.match(structured<{ patch: string }>(diff).patch, /\+\+\+ b\/src\/extra\.js/);

  const listed = await client.callTool({ name: "sandbox_list", arguments: {} });
  assert.deepEqual(
    structured<{ sandboxes: { id: string }[] }>(listed).sandboxes.map((s) => s.id),
    [id],
  );
  const disposed = await client.callTool({ name: "sandbox_dispose", arguments: { id } });
  assert.equal(disposed.isError, undefined);
  const late = await client.callTool({ name: "sandbox_exec", arguments: { id, command: "true" } });
  assert.equal(late.isError, true);
  assert.match(textOf(late), /was disposed/);
});

test("bad input is a tool error with a clear message, and the server keeps serving", async () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["sandbox_exec", { id: "sbx_nope", command: "true" }, /no sandbox 'sbx_nope' in this session/],
    ["sandbox_create", { workspace: join(ws.root, "missing") }, /does not exist/],
    [
      "sandbox_create",
      { workspace: ws.project, limits: { memory: "lots" } },
      /limits\.memory 'lots' is not a size/,
    ],
    ["sandbox_create", { workspace: ws.project, allowNet: ["http://bad host"] }, /allowNet/],
    ["check", { workspace: ws.project, command: "true", timeout: "soon" }, /timeout/],
    ["verify", { workspace: ws.project, patch: "", verify: ["true"], protect: ["../outside/**"] }, /\.\./],
    ["run_show", { id: "no-such-run" }, /no run 'no-such-run'/],
  ];
  for (const [name, args, message] of cases) {
    const result = await client.callTool({ name, arguments: args });
    assert.equal(result.isError, true, `${name} ${JSON.stringify(args)} is an error`);
    assert.match(textOf(result), message);
  }
  // Arguments that break the schema are refused before the tool runs.
  const malformed = await client
    .callTool({ name: "sandbox_exec", arguments: { id: 5 } })
    .catch((e: Error) => e);
  assert.ok(malformed instanceof Error ? /id|invalid/i.test(malformed.message) : malformed.isError === true);
  const unknown = await client.callTool({ name: "no_such_tool", arguments: {} }).catch((e: Error) => e);
  assert.ok(
    unknown instanceof Error ? /no_such_tool|not found/i.test(unknown.message) : unknown.isError === true,
  );
  const { tools } = await client.listTools();
  assert.equal(tools.length, 12, "still serving");
});

test("the server holds at most --max-sandboxes sandboxes", async () => {
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await client.callTool({ name: "sandbox_create", arguments: { workspace: ws.project } });
    assert.equal(r.isError, undefined, textOf(r));
    ids.push(structured<{ id: string }>(r).id);
  }
  const fourth = await client.callTool({ name: "sandbox_create", arguments: { workspace: ws.project } });
  assert.equal(fourth.isError, true);
  assert.match(textOf(fourth), /already holds 3 sandboxes/);
  for (const id of ids) await client.callTool({ name: "sandbox_dispose", arguments: { id } });
});

test("check returns findings and a fingerprint; verify judges a patch in the clean room", async () => {
  const check = await client.callTool({
    name: "check",
    arguments: { workspace: ws.project, command: "node --test test/" },
  });
  const found = structured<{ exitCode: number; fingerprint: string; findings: unknown[] }>(check);
  assert.equal(found.exitCode, 1);
  assert.ok(found.findings.length >= 2);
  assert.match(found.fingerprint, /\w{8,}/);

  const red = await client.callTool({
    name: "verify",
    arguments: { workspace: ws.project, patch: "", verify: ["node --test test/"] },
  });
  assert.equal(structured<{ verdict: string }>(red).verdict, "fail");

  // The fix, made in a sandbox and handed over as its diff.
  const sbx = structured<{ id: string }>(
    await client.callTool({ name: "sandbox_create", arguments: { workspace: ws.project } }),
  ).id;
  const source = readFileSync(join(ws.project, "src/cart.js"), "utf8")
    .replace("total += item.price;", "total += item.price * item.quantity;")
    .replace("total * (percent / 100)", "total * (1 - percent / 100)");
  await client.callTool({
    name: "sandbox_write_file",
    arguments: { id: sbx, path: "src/cart.js", content: source },
  });
  const patch = structured<{ patch: string }>(
    await client.callTool({ name: "sandbox_diff", arguments: { id: sbx } }),
  ).patch;
  await client.callTool({ name: "sandbox_dispose", arguments: { id: sbx } });
  const green = await client.callTool({
    name: "verify",
    arguments: { workspace: ws.project, patch, verify: ["node --test test/"], protect: ["test/**"] },
  });
  const verdict = structured<{ verdict: string; cleanRoom: boolean; failingCount: number }>(green);
  assert.equal(verdict.verdict, "pass", textOf(green));
  assert.equal(verdict.cleanRoom, true);
  assert.equal(verdict.failingCount, 0);
});

test("run fixes the task with the scripted model and reports progress at every step", async () => {
  const script = writeFixScript(ws.root);
  const progress: string[] = [];
  const result = await client.callTool(
    {
      name: "run",
      arguments: {
        task: "Fix the cart so node --test test/ passes.",
        workspace: ws.project,
        verify: ["node --test test/"],
        protect: ["test/**"],
        model: `scripted:${script}`,
        max_steps: 6,
      },
    },
    { onprogress: (p) => progress.push(p.message ?? "") },
  );
  assert.equal(result.isError, undefined, textOf(result));
  const run = structured<{ runId: string; verified: boolean; patch: string; outcome: string }>(result);
  assert.equal(run.verified, true, textOf(result));
  assert.match(run.patch, /item\.price \* item\.quantity/);
  for (const step of [1, 2])
    assert.ok(
      progress.some((m) => m.startsWith(`step ${step}`)),
      `progress for step ${step}`,
    );
  assert.equal(readdirSync(ws.runsDir).includes(run.runId), true);

  const shown = await client.callTool({ name: "run_show", arguments: { id: run.runId } });
  const show = structured<{ summary: { outcome: string; steps: number }; points: { step: number }[] }>(shown);
  assert.equal(show.summary.outcome, "verified");
  assert.equal(show.points.length, show.summary.steps);
  const listed = await client.callTool({ name: "runs_list", arguments: {} });
  assert.ok(structured<{ runs: { id: string }[] }>(listed).runs.some((r) => r.id === run.runId));
});
