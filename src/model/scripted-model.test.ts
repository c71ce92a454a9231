import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { UserError } from "../util/index.ts";
import { createModelClient } from "./create-model-client.ts";
import { createScriptedModelClient, type ModelScript } from "./scripted-model.ts";
import type { ModelRequest, ModelStreamEvent } from "./types.ts";

const script: ModelScript = {
  turns: [
    { text: "Reading the test.", toolCalls: [{ name: "read_file", args: { path: "test/add.test.js" } }] },
    { toolCalls: [{ name: "edit_file", args: { path: "src/add.js", oldText: "a - b", newText: "a + b" } }] },
    { text: "Fixed.", toolCalls: [{ name: "done", args: { summary: "fixed add" } }] },
  ],
};

const request: ModelRequest = { messages: [{ role: "user", content: "Fix add()." }], tools: [] };

async function texts(client: ReturnType<typeof createScriptedModelClient>, calls: number) {
  const out: string[] = [];
  for (let i = 0; i < calls; i++) {
    const r = await client.step(request);
    out.push(r.ok ? r.response.toolCalls.map((c) => c.name).join(",") : `error:${r.error.kind}`);
  }
  return out;
}

test("turns are played one per call, in order, then the model is exhausted", async () => {
  const client = createScriptedModelClient(script);
  assert.deepEqual(await texts(client, 4), ["read_file", "edit_file", "done", "error:exhausted"]);
  const last = await client.step(request);
  assert.deepEqual(last, {
    ok: false,
    error: { kind: "exhausted", message: "scripted model has no more turns", retryable: false },
  });
});

test("a step streams the turn's text and tool calls, then a finish event", async () => {
  const events: ModelStreamEvent[] = [];
  const result = await createScriptedModelClient(script).step(request, (e) => events.push(e));
  assert.ok(result.ok);
  assert.deepEqual(
    events.map((e) => e.type),
    ["text-delta", "tool-call", "finish"],
  );
  assert.deepEqual(result.response.toolCalls, [
    { id: "call_1_1", name: "read_file", args: { path: "test/add.test.js" } },
  ]);
  assert.equal(result.response.finishReason, "tool-calls");
});

test("a resumed run starts at the turn after its completed calls", async () => {
  assert.deepEqual(await texts(createScriptedModelClient(script, { startAtTurn: 2 }), 2), [
    "done",
    "error:exhausted",
  ]);
  const client = createScriptedModelClient(script);
  await client.step(request);
  client.resumeAfter(1);
  assert.equal(client.nextTurn, 1);
  assert.equal(client.turnsLeft, 2);
  assert.deepEqual(await texts(client, 1), ["edit_file"]);
  client.resumeAfter(99);
  assert.deepEqual(await texts(client, 1), ["error:exhausted"]);
});

test("usage is estimated from message sizes, so a longer context costs more tokens", async () => {
  const client = createScriptedModelClient({
    turns: [{ text: "a" }, { text: "a" }],
    prices: { input: 3, output: 15 },
  });
  const small = await client.step(request);
  const big = await client.step({ ...request, messages: [{ role: "user", content: "x".repeat(4_000) }] });
  assert.ok(small.ok && big.ok);
  assert.ok(big.response.usage.inputTokens >= 1_000, String(big.response.usage.inputTokens));
  assert.ok(big.response.usage.inputTokens > small.response.usage.inputTokens);
  assert.ok(big.response.costUsd > 0);
});

test("scripted malformed arguments and provider errors reach the caller as values", async () => {
  const client = createScriptedModelClient({
    turns: [
      { toolCalls: [{ name: "edit_file", argsText: '{"path": ' }] },
      { error: { kind: "rate-limit", message: "simulated 429", retryable: true } },
    ],
  });
  const bad = await client.step(request);
  assert.ok(bad.ok);
  assert.match(bad.response.toolCalls[0]?.argsError ?? "", /not valid JSON/);
  const failed = await client.step(request);
  assert.deepEqual(failed, {
    ok: false,
    error: { kind: "rate-limit", message: "simulated 429", retryable: true },
  });
});

test("an aborted signal fails the call without using up a turn", async () => {
  const client = createScriptedModelClient(script);
  const r = await client.step({ ...request, signal: AbortSignal.abort() });
  assert.ok(!r.ok && r.error.kind === "aborted");
  assert.equal(client.nextTurn, 0);
});

test("scripted:FILE reads the script and is labelled as no LLM", async () => {
  const dir = mkdtempSync(join(tmpdir(), "closedloop-scripted-"));
  const file = join(dir, "script.json");
  writeFileSync(file, JSON.stringify(script));
  const client = createModelClient(`scripted:${file}`, { startAtTurn: 1 });
  assert.equal(client.info.label, "scripted (no LLM)");
  assert.equal(client.info.isScripted, true);
  assert.equal(client.info.provider, "scripted");
  const r = await client.step(request);
  assert.ok(r.ok);
  assert.equal(r.response.toolCalls[0]?.name, "edit_file");
});

test("a missing or malformed script file is a user error naming the file and the problem", () => {
  const dir = mkdtempSync(join(tmpdir(), "closedloop-scripted-"));
  assert.throws(
    () => createModelClient(`scripted:${join(dir, "nope.json")}`),
    /cannot read the model script .*ENOENT/,
  );
  const notJson = join(dir, "bad.json");
  writeFileSync(notJson, "{turns: [");
  assert.throws(
    () => createModelClient(`scripted:${notJson}`),
    (e: unknown) => e instanceof UserError && /not valid JSON/.test(e.message),
  );
  const wrongShape = join(dir, "shape.json");
  writeFileSync(wrongShape, JSON.stringify({ turns: [{ toolCalls: [{ args: {} }] }] }));
  assert.throws(
    () => createModelClient(`scripted:${wrongShape}`),
    /turn 1, tool call 1: needs a string `name`/,
  );
});
