import assert from "node:assert/strict";
import { test } from "node:test";
import { createToolset } from "./create-toolset.ts";
import { runToolCall, toolDefinitions } from "./run-tool-call.ts";
import type { ToolContext } from "./types.ts";

// Argument checks happen before a tool touches anything: this context fails loudly if used.
const untouchable = new Proxy({} as ToolContext, {
  get(_target, key) {
    throw new Error(`the context was used (${String(key)}) for a call that should have been refused`);
  },
});
const tools = createToolset();

test("the default toolset adds the server and browser tools after the eight core ones", () => {
  const names = toolDefinitions(createToolset()).map((d) => d.name);
  assert.deepEqual(names.slice(-2), ["server", "browser"]);
  assert.equal(names.length, 10);
});

test("the toolset has the eight tools with the agreed argument names", () => {
  const definitions = toolDefinitions(createToolset({ web: false }));
  const shape = Object.fromEntries(
    definitions.map((d) => [d.name, Object.keys((d.parameters.properties as Record<string, unknown>) ?? {})]),
  );
  assert.deepEqual(shape, {
    shell: ["command", "timeoutMs"],
    read_file: ["path", "startLine", "endLine"],
    write_file: ["path", "content"],
    edit_file: ["path", "oldText", "newText"],
    search: ["pattern", "path"],
    list: ["path"],
    verify: [],
    done: ["summary"],
  });
  for (const definition of definitions) {
    assert.equal(definition.parameters.type, "object");
    assert.equal("$schema" in definition.parameters, false);
    assert.ok(definition.description.length > 40, definition.name);
  }
});

test("an unknown tool comes back as an error naming the tools that exist", async () => {
  const result = await runToolCall(tools, { name: "run_tests", args: {} }, untouchable);
  assert.equal(result.isError, true);
  assert.match(result.content, /Unknown tool "run_tests"/);
  assert.match(result.content, /shell, read_file, write_file, edit_file, search, list, verify, done/);
});

test("arguments that were not JSON come back as an error with the expected schema", async () => {
  const result = await runToolCall(
    tools,
    { name: "edit_file", args: undefined, argsError: "Unexpected token } in JSON at position 12" },
    untouchable,
  );
  assert.equal(result.isError, true);
  assert.match(result.content, /not valid JSON \(Unexpected token/);
  assert.match(result.content, /"oldText"/);
});

test("missing fields, wrong types and unknown keys are each named", async () => {
  const missing = await runToolCall(
    tools,
    { name: "edit_file", args: { path: "a.js", oldText: "x" } },
    untouchable,
  );
  assert.match(missing.content, /"newText" is required/);
  const wrongType = await runToolCall(
    tools,
    { name: "read_file", args: { path: "a.js", startLine: "3" } },
    untouchable,
  );
  assert.match(wrongType.content, /"startLine": .*expected number/);
  const unknown = await runToolCall(tools, { name: "read_file", args: { file: "a.js" } }, untouchable);
  assert.match(unknown.content, /unknown argument "file"/);
  assert.match(unknown.content, /"path" is required/);
  const notObject = await runToolCall(tools, { name: "shell", args: "ls" }, untouchable);
  assert.equal(notObject.isError, true);
  assert.match(notObject.content, /Expected arguments \(JSON Schema\)/);
  for (const result of [missing, wrongType, unknown]) assert.equal(result.isError, true);
});

test("a tool without arguments accepts null or missing arguments", async () => {
  let called = 0;
  const context = {
    runVerifier: async () => {
      called++;
      return { content: "Verifier: PASS", isError: false };
    },
  } as unknown as ToolContext;
  for (const args of [undefined, null, {}]) {
    const result = await runToolCall(tools, { name: "verify", args }, context);
    assert.equal(result.content, "Verifier: PASS");
  }
  assert.equal(called, 3);
});

test("a tool that throws becomes an error result, not an exception", async () => {
  const context = {
    claimDone: async () => {
      throw new TypeError("boom");
    },
  } as unknown as ToolContext;
  const result = await runToolCall(tools, { name: "done", args: { summary: "fixed it" } }, context);
  assert.equal(result.isError, true);
  assert.match(result.content, /done failed: TypeError: boom/);
});
