import assert from "node:assert/strict";
import { test } from "node:test";
import { createModelClient } from "./create-model-client.ts";
import { parseModelId } from "./model-id.ts";
import {
  estimateCostUsd,
  estimateWorstCaseCostUsd,
  lookupContextWindow,
  lookupModelPrice,
} from "./price-table.ts";

const id = (text: string) => parseModelId(text);

test("well-known models have prices per million tokens", () => {
  assert.deepEqual(lookupModelPrice(id("anthropic:claude-sonnet-4-5")), {
    input: 3,
    output: 15,
    known: true,
  });
  assert.deepEqual(lookupModelPrice(id("openai:gpt-5")), { input: 1.25, output: 10, known: true });
});

test("a dated snapshot is priced as its family, the longest matching name winning", () => {
  assert.equal(lookupModelPrice(id("anthropic:claude-sonnet-4-5-20250929")).input, 3);
  assert.equal(lookupModelPrice(id("openai:gpt-5-mini-2025-08-07")).input, 0.25);
  assert.equal(lookupModelPrice(id("openai:gpt-4o-mini-2024-07-18")).output, 0.6);
});

test("an unknown or local model costs nothing and says it is unknown", () => {
  assert.deepEqual(lookupModelPrice(id("ollama:qwen3-coder")), { input: 0, output: 0, known: false });
  assert.equal(lookupModelPrice(id("openai:gpt-50")).known, false);
});

test("config prices override the table, by provider:model or by the full id", () => {
  const config = {
    prices: {
      "openai:gpt-5": { input: 2, output: 20 },
      "openai-compatible:http://h:1/v1#m": { input: 0.5, output: 1 },
      "ollama:qwen3-coder": { input: 0.1, output: 0.2 },
    },
  };
  assert.deepEqual(lookupModelPrice(id("openai:gpt-5"), config), { input: 2, output: 20, known: true });
  assert.equal(lookupModelPrice(id("openai-compatible:http://h:1/v1#m"), config).input, 0.5);
  assert.equal(lookupModelPrice(id("ollama:qwen3-coder"), config).output, 0.2);
});

test("cost is tokens times price per million", () => {
  const info = { inputPricePerMTok: 3, outputPricePerMTok: 15 };
  assert.equal(estimateCostUsd(info, { inputTokens: 1_000_000, outputTokens: 0 }), 3);
  assert.ok(Math.abs(estimateCostUsd(info, { inputTokens: 10_000, outputTokens: 2_000 }) - 0.06) < 1e-12);
  assert.equal(
    estimateCostUsd({ inputPricePerMTok: 0, outputPricePerMTok: 0 }, { inputTokens: 5, outputTokens: 5 }),
    0,
  );
});

test("context windows come from the table, config, or the provider's fallback", () => {
  assert.equal(lookupContextWindow(id("openai:gpt-4.1-mini"), 1), 1_047_576);
  assert.equal(lookupContextWindow(id("ollama:llama3"), 8_192), 8_192);
  assert.equal(
    lookupContextWindow(id("ollama:llama3"), 8_192, { contextWindows: { "ollama:llama3": 65_536 } }),
    65_536,
  );
});

test("a client's info carries the configured prices and window", () => {
  const client = createModelClient("ollama:qwen3-coder", {
    env: {},
    config: {
      prices: { "ollama:qwen3-coder": { input: 0.1, output: 0.2 } },
      contextWindows: { "ollama:qwen3-coder": 40_000 },
    },
  });
  assert.deepEqual(client.info, {
    id: "ollama:qwen3-coder",
    provider: "ollama",
    label: "ollama:qwen3-coder",
    contextWindow: 40_000,
    inputPricePerMTok: 0.1,
    outputPricePerMTok: 0.2,
    isScripted: false,
  });
});

test("the worst case of a call prices its estimated input and the full output allowance", () => {
  const info = { inputPricePerMTok: 3, outputPricePerMTok: 15 };
  const request = { messages: [{ role: "user" as const, content: "x".repeat(4_000) }], tools: [] };
  const worst = estimateWorstCaseCostUsd(info, request, 10_000);
  const outputPart = (10_000 * 15) / 1_000_000;
  assert.ok(worst > outputPart, String(worst));
  assert.ok(worst < outputPart + (1_100 * 3) / 1_000_000, String(worst));
});
