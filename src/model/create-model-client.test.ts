import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { UserError } from "../util/index.ts";
import { withVersionPath } from "./anthropic-provider.ts";
import { createModelClient } from "./create-model-client.ts";
import { ollamaHostToBaseURL } from "./ollama-provider.ts";

test("a provider that needs a key refuses to start without it, saying which variable to set", () => {
  for (const [id, variable] of [
    ["anthropic:claude-sonnet-4-5", "ANTHROPIC_API_KEY"],
    ["openai:gpt-5", "OPENAI_API_KEY"],
    ["google:gemini-2.5-pro", "GOOGLE_GENERATIVE_AI_API_KEY"],
  ] as const) {
    assert.throws(
      () => createModelClient(id, { env: {} }),
      (e: unknown) =>
        e instanceof UserError && e.message.includes(variable) && e.message.includes("scripted:FILE"),
    );
  }
});

test("local and OpenAI-compatible endpoints need no key", () => {
  assert.equal(createModelClient("ollama:qwen3-coder", { env: {} }).info.provider, "ollama");
  assert.equal(
    createModelClient("openai-compatible:http://127.0.0.1:9/v1#m", { env: {} }).info.provider,
    "openai-compatible",
  );
});

test("a client's info reports the table's price for a known model", () => {
  const info = createModelClient("anthropic:claude-haiku-4-5", { env: { ANTHROPIC_API_KEY: "k" } }).info;
  assert.deepEqual([info.inputPricePerMTok, info.outputPricePerMTok, info.isScripted], [1, 5, false]);
});

test("an unreachable endpoint is a network failure value after the retries, not an exception", async () => {
  const port = await closedLoopbackPort();
  const client = createModelClient("ollama:qwen3-coder", {
    env: { OLLAMA_BASE_URL: `http://127.0.0.1:${port}/v1` },
    retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 5 },
  });
  const result = await client.step({ messages: [{ role: "user", content: "hi" }], tools: [] });
  assert.ok(!result.ok);
  assert.equal(result.error.kind, "exhausted");
  assert.equal(result.error.lastKind, "network");
  assert.equal(result.error.attempts, 2);
});

/** A loopback port that was just free: bind, read the port, close. Connecting to it is refused. */
async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test("ANTHROPIC_BASE_URL without a version path, as Claude Code writes it, gets /v1", () => {
  assert.equal(withVersionPath("https://gateway.example.com"), "https://gateway.example.com/v1");
  assert.equal(
    withVersionPath("https://gateway.example.com/anthropic/"),
    "https://gateway.example.com/anthropic/v1",
  );
  assert.equal(withVersionPath("http://127.0.0.1:8080/v1/"), "http://127.0.0.1:8080/v1");
});

test("OLLAMA_HOST in Ollama's own forms becomes an OpenAI-compatible base URL", () => {
  assert.equal(ollamaHostToBaseURL("0.0.0.0:11434"), "http://127.0.0.1:11434/v1");
  assert.equal(ollamaHostToBaseURL("gpu-box"), "http://gpu-box:11434/v1");
  assert.equal(ollamaHostToBaseURL("https://ollama.internal:8443"), "https://ollama.internal:8443/v1");
  assert.throws(() => ollamaHostToBaseURL("http://[bad"), UserError);
});
