import assert from "node:assert/strict";
import { resolve } from "node:path";
import { test } from "node:test";
import { UserError } from "../util/index.ts";
import { canonicalModelId, parseModelId } from "./model-id.ts";

test("a provider:model id splits at the first colon", () => {
  assert.deepEqual(parseModelId("anthropic:claude-sonnet-4-5"), {
    id: "anthropic:claude-sonnet-4-5",
    provider: "anthropic",
    model: "claude-sonnet-4-5",
  });
  assert.equal(parseModelId("ollama:qwen3-coder:30b").model, "qwen3-coder:30b");
  assert.equal(parseModelId("google:gemini-2.5-pro").provider, "google");
  assert.equal(parseModelId("openai:gpt-5").model, "gpt-5");
});

test("an openai-compatible id carries its endpoint and model", () => {
  const parsed = parseModelId("openai-compatible:http://127.0.0.1:8000/v1/#qwen3-coder");
  assert.deepEqual(parsed, {
    id: "openai-compatible:http://127.0.0.1:8000/v1/#qwen3-coder",
    provider: "openai-compatible",
    baseURL: "http://127.0.0.1:8000/v1",
    model: "qwen3-coder",
  });
  const simple = parseModelId("openai-compatible:https://openrouter.ai/api/v1#anthropic/claude-sonnet-4.5");
  assert.deepEqual(
    [simple.baseURL, simple.model],
    ["https://openrouter.ai/api/v1", "anthropic/claude-sonnet-4.5"],
  );
});

test("a scripted id names its script file", () => {
  assert.deepEqual(parseModelId("scripted:demo/fix.json"), {
    id: "scripted:demo/fix.json",
    provider: "scripted",
    model: "demo/fix.json",
  });
});

test("malformed ids are user errors that show the accepted forms", () => {
  assert.throws(
    () => parseModelId("gpt-5"),
    (e: unknown) => e instanceof UserError && /has no provider/.test(e.message),
  );
  assert.throws(
    () => parseModelId("azure:gpt-5"),
    (e: unknown) =>
      e instanceof UserError && /unknown model provider "azure"/.test(e.message) && /ollama:/.test(e.message),
  );
  assert.throws(() => parseModelId("anthropic:"), UserError);
  assert.throws(() => parseModelId("scripted:"), UserError);
  assert.throws(() => parseModelId("openai-compatible:llama"), /http\(s\) endpoint and a model/);
  assert.throws(() => parseModelId("openai-compatible:ftp://host/v1#m"), UserError);
  assert.throws(() => parseModelId("openai-compatible:http://host/v1#"), UserError);
});

test("the canonical id of a scripted model names its file absolutely; others are unchanged", () => {
  assert.equal(canonicalModelId("scripted:demo/fix.json"), `scripted:${resolve("demo/fix.json")}`);
  assert.equal(canonicalModelId("scripted:/abs/fix.json"), "scripted:/abs/fix.json");
  assert.equal(canonicalModelId("anthropic:claude-sonnet-4-5"), "anthropic:claude-sonnet-4-5");
});
