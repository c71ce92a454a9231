// Each SDK provider runs the shared ModelClient contract against a loopback server speaking
// its wire format (OpenAI Chat Completions, Anthropic Messages or Gemini SSE) on 127.0.0.1.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createModelClient } from "./create-model-client.ts";
import { startLoopbackAnthropicServer } from "./testing/loopback-anthropic-server.ts";
import { startLoopbackGoogleServer } from "./testing/loopback-google-server.ts";
import { startLoopbackOpenAIResponsesServer } from "./testing/loopback-openai-responses-server.ts";
import { startLoopbackOpenAIServer } from "./testing/loopback-openai-server.ts";
import { type ContractTarget, describeModelClientContract } from "./testing/model-client-contract.ts";

/** One provider as the contract reaches it: its model id and env, both pointed at the server. */
interface ProviderUnderTest extends Omit<ContractTarget, "createClient"> {
  modelId(baseURL: string): string;
  env(baseURL: string): Record<string, string>;
}

const providers: ProviderUnderTest[] = [
  {
    name: "anthropic (Messages SSE)",
    apiKeyEnv: "ANTHROPIC_API_KEY",
    startServer: startLoopbackAnthropicServer,
    modelId: () => "anthropic:claude-sonnet-4-5",
    env: (baseURL) => ({ ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: baseURL }),
  },
  {
    name: "openai (Chat Completions SSE)",
    apiKeyEnv: "OPENAI_API_KEY",
    startServer: startLoopbackOpenAIServer,
    modelId: () => "openai:gpt-5",
    env: (baseURL) => ({ OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: baseURL }),
  },
  {
    name: "openai codex model (Responses API SSE)",
    apiKeyEnv: "OPENAI_API_KEY",
    startServer: startLoopbackOpenAIResponsesServer,
    modelId: () => "openai:gpt-5.1-codex",
    env: (baseURL) => ({ OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: baseURL }),
  },
  {
    name: "ollama (OpenAI-compatible SSE)",
    startServer: startLoopbackOpenAIServer,
    modelId: () => "ollama:qwen3-coder",
    env: (baseURL) => ({ OLLAMA_BASE_URL: baseURL }),
  },
  {
    name: "openai-compatible (URL#model in the id)",
    apiKeyEnv: "OPENAI_COMPATIBLE_API_KEY",
    startServer: startLoopbackOpenAIServer,
    modelId: (baseURL) => `openai-compatible:${baseURL}#qwen3-coder`,
    env: () => ({ OPENAI_COMPATIBLE_API_KEY: "test-key" }),
  },
  {
    name: "google (Gemini SSE)",
    apiKeyEnv: "GOOGLE_GENERATIVE_AI_API_KEY",
    startServer: startLoopbackGoogleServer,
    modelId: () => "google:gemini-2.5-pro",
    env: (baseURL) => ({ GOOGLE_GENERATIVE_AI_API_KEY: "test-key", GOOGLE_GENERATIVE_AI_BASE_URL: baseURL }),
  },
];

for (const { modelId, env, ...provider } of providers) {
  describeModelClientContract({
    ...provider,
    createClient: (baseURL, retry, timeoutMs) =>
      createModelClient(modelId(baseURL), { env: env(baseURL), retry, timeoutMs }),
  });
}

test("an Anthropic base URL without /v1 and an Ollama found through OLLAMA_HOST both reach the server", async () => {
  const anthropic = await startLoopbackAnthropicServer([{ type: "stream", text: ["hi"] }]);
  const openai = await startLoopbackOpenAIServer([{ type: "stream", text: ["hey"] }]);
  try {
    const request = { messages: [{ role: "user" as const, content: "hello" }], tools: [] };
    const claude = createModelClient("anthropic:claude-haiku-4-5", {
      env: { ANTHROPIC_API_KEY: "k", ANTHROPIC_BASE_URL: anthropic.baseURL.replace(/\/v1$/, "") },
    });
    const viaHost = createModelClient("ollama:llama3", {
      env: { OLLAMA_HOST: new URL(openai.baseURL).host },
    });
    const [a, o] = await Promise.all([claude.step(request), viaHost.step(request)]);
    assert.ok(a.ok && o.ok, JSON.stringify([a, o]));
    assert.deepEqual([a.response.text, o.response.text], ["hi", "hey"]);
  } finally {
    await Promise.all([anthropic.close(), openai.close()]);
  }
});

test("a Gemini thought signature on a tool call is sent back with it in the next request", async () => {
  const server = await startLoopbackGoogleServer([
    { type: "stream", toolCalls: [{ name: "list", argsChunks: ["{}"], signature: "sig-abc" }] },
    { type: "stream", text: ["ok"] },
  ]);
  try {
    const client = createModelClient("google:gemini-3-pro-preview", {
      env: { GOOGLE_GENERATIVE_AI_API_KEY: "k", GOOGLE_GENERATIVE_AI_BASE_URL: server.baseURL },
    });
    const tools = [
      { name: "list", description: "List files.", parameters: { type: "object", properties: {} } },
    ];
    const messages = [{ role: "user" as const, content: "look around" }];
    const first = await client.step({ messages, tools });
    assert.ok(first.ok, JSON.stringify(first));
    const call = first.response.toolCalls[0]!;
    assert.deepEqual(call.providerMetadata, { google: { thoughtSignature: "sig-abc" } });
    const second = await client.step({
      tools,
      messages: [
        ...messages,
        { role: "assistant", content: "", toolCalls: [call] },
        { role: "tool", toolCallId: call.id, toolName: "list", content: "a.ts" },
      ],
    });
    assert.ok(second.ok, JSON.stringify(second));
    assert.match(JSON.stringify(server.requests[1]?.body), /"thoughtSignature":"sig-abc"/);
  } finally {
    await server.close();
  }
});

test("an OpenAI codex model goes to the Responses endpoint, other OpenAI models to Chat Completions", async () => {
  const responses = await startLoopbackOpenAIResponsesServer([{ type: "stream", text: ["from responses"] }]);
  const chat = await startLoopbackOpenAIServer([{ type: "stream", text: ["from chat"] }]);
  try {
    const request = { messages: [{ role: "user" as const, content: "hello" }], tools: [] };
    const codex = createModelClient("openai:gpt-5.1-codex", {
      env: { OPENAI_API_KEY: "k", OPENAI_BASE_URL: responses.baseURL },
    });
    const gpt = createModelClient("openai:gpt-5", {
      env: { OPENAI_API_KEY: "k", OPENAI_BASE_URL: chat.baseURL },
    });
    const [a, b] = [await codex.step(request), await gpt.step(request)];
    assert.ok(a.ok && b.ok, JSON.stringify([a, b]));
    assert.deepEqual([a.response.text, b.response.text], ["from responses", "from chat"]);
    assert.deepEqual(
      [responses.requests[0]?.path, chat.requests[0]?.path],
      ["/v1/responses", "/v1/chat/completions"],
    );
    assert.equal((responses.requests[0]?.body as { model?: string } | undefined)?.model, "gpt-5.1-codex");
  } finally {
    await Promise.all([responses.close(), chat.close()]);
  }
});

test("OpenAI requests carry the run's prompt_cache_key, on both endpoints; openai-compatible ones do not", async () => {
  const responses = await startLoopbackOpenAIResponsesServer([{ type: "stream", text: ["a"] }]);
  const chat = await startLoopbackOpenAIServer([
    { type: "stream", text: ["b"] },
    { type: "stream", text: ["c"] },
  ]);
  try {
    const request = {
      messages: [{ role: "user" as const, content: "hello" }],
      tools: [],
      cache: { key: "closedloop-run-42", stableMessages: 1 },
    };
    const env = { OPENAI_API_KEY: "k" };
    await createModelClient("openai:gpt-5-codex", {
      env: { ...env, OPENAI_BASE_URL: responses.baseURL },
    }).step(request);
    await createModelClient("openai:gpt-5", { env: { ...env, OPENAI_BASE_URL: chat.baseURL } }).step(request);
    await createModelClient(`openai-compatible:${chat.baseURL}#m`, { env: {} }).step(request);
    const key = (r: { body: unknown } | undefined) =>
      (r?.body as { prompt_cache_key?: string } | undefined)?.prompt_cache_key;
    assert.equal(key(responses.requests[0]), "closedloop-run-42");
    assert.equal(key(chat.requests[0]), "closedloop-run-42");
    assert.equal(key(chat.requests[1]), undefined);
  } finally {
    await Promise.all([responses.close(), chat.close()]);
  }
});
