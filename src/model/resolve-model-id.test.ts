import assert from "node:assert/strict";
import { test } from "node:test";
import { UserError } from "../util/index.ts";
import { NoModelConfiguredError, resolveModelId } from "./resolve-model-id.ts";

const allKeys = { ANTHROPIC_API_KEY: "a", OPENAI_API_KEY: "o", GOOGLE_GENERATIVE_AI_API_KEY: "g" };

test("the --model flag wins over the config file and the environment", () => {
  const id = resolveModelId({ flag: "ollama:qwen3-coder", config: { model: "openai:gpt-5" }, env: allKeys });
  assert.equal(id, "ollama:qwen3-coder");
});

test("the config file's model wins over the environment", () => {
  assert.equal(resolveModelId({ config: { model: "openai:gpt-5-mini" }, env: allKeys }), "openai:gpt-5-mini");
});

test("an empty flag or config model does not count as a choice", () => {
  assert.equal(
    resolveModelId({ flag: "", config: { model: " " }, env: { OPENAI_API_KEY: "o" } }),
    "openai:gpt-5",
  );
});

test("with only keys in the environment, Anthropic, then OpenAI, then Google is chosen", () => {
  assert.equal(resolveModelId({ env: allKeys }), "anthropic:claude-sonnet-4-5");
  assert.equal(
    resolveModelId({ env: { OPENAI_API_KEY: "o", GOOGLE_GENERATIVE_AI_API_KEY: "g" } }),
    "openai:gpt-5",
  );
  assert.equal(resolveModelId({ env: { GOOGLE_GENERATIVE_AI_API_KEY: "g" } }), "google:gemini-2.5-pro");
});

test("an empty key variable does not select a provider", () => {
  assert.equal(resolveModelId({ env: { ANTHROPIC_API_KEY: "", OPENAI_API_KEY: "o" } }), "openai:gpt-5");
});

test("with no model anywhere, one user error says how to set one, including the offline option", () => {
  assert.throws(
    () => resolveModelId({ env: {} }),
    (error: unknown) => {
      assert.ok(error instanceof NoModelConfiguredError);
      assert.ok(error instanceof UserError);
      assert.equal(error.exitCode, 2);
      for (const needle of [
        "ANTHROPIC_API_KEY",
        "OPENAI_API_KEY",
        "GOOGLE_GENERATIVE_AI_API_KEY",
        "--model scripted:FILE",
      ]) {
        assert.ok(error.message.includes(needle), `message lacks ${needle}: ${error.message}`);
      }
      assert.equal(error.message.split("\n").length, 1);
      return true;
    },
  );
});

test("a mistyped model in the flag or config is reported before any run starts", () => {
  assert.throws(() => resolveModelId({ flag: "claude-sonnet", env: allKeys }), UserError);
  assert.throws(
    () => resolveModelId({ config: { model: "antropic:claude" }, env: allKeys }),
    /unknown model provider/,
  );
});
