import assert from "node:assert/strict";
import { test } from "node:test";
import { createModelClient } from "./create-model-client.ts";
import { parseModelId } from "./model-id.ts";
import {
  estimateCostUsd,
  estimateUncachedCostUsd,
  estimateWorstCaseCostUsd,
  inputEstimateMargin,
  lookupContextWindow,
  lookupModelPrice,
} from "./price-table.ts";

const id = (text: string) => parseModelId(text);

const flat = (input: number, output: number) => ({
  inputPricePerMTok: input,
  outputPricePerMTok: output,
  cacheReadPricePerMTok: input,
  cacheWritePricePerMTok: input,
});

test("well-known models have prices per million tokens, cache prices included", () => {
  assert.deepEqual(lookupModelPrice(id("anthropic:claude-sonnet-4-5")), {
    input: 3,
    output: 15,
    cacheRead: 0.3,
    cacheWrite: 3.75,
    known: true,
  });
  assert.deepEqual(lookupModelPrice(id("openai:gpt-5")), {
    input: 1.25,
    output: 10,
    cacheRead: 0.125,
    cacheWrite: 1.25,
    known: true,
  });
  assert.equal(lookupModelPrice(id("google:gemini-2.5-flash")).cacheRead, 0.03);
});

test("a dated snapshot is priced as its family, the longest matching name winning", () => {
  assert.equal(lookupModelPrice(id("anthropic:claude-sonnet-4-5-20250929")).input, 3);
  assert.equal(lookupModelPrice(id("openai:gpt-5-mini-2025-08-07")).input, 0.25);
  assert.equal(lookupModelPrice(id("openai:gpt-4o-mini-2024-07-18")).output, 0.6);
  assert.equal(lookupModelPrice(id("openai:gpt-5.1-codex-mini")).input, 0.25);
});

test("an unknown model costs nothing and says it is unknown; a local Ollama model is known and free", () => {
  assert.equal(lookupModelPrice(id("openai:gpt-50")).known, false);
  assert.equal(lookupModelPrice(id("openai-compatible:http://h:1/v1#m")).known, false);
  const ollama = createModelClient("ollama:qwen3-coder", { env: {} }).info;
  assert.deepEqual([ollama.priceKnown, ollama.inputPricePerMTok], [true, 0]);
  const unpriced = createModelClient("openai-compatible:http://h:1/v1#m", { env: {} }).info;
  assert.equal(unpriced.priceKnown, false);
});

test("config prices override the table, by provider:model or by the full id; cache prices default to input", () => {
  const config = {
    prices: {
      "openai:gpt-5": { input: 2, output: 20 },
      "openai-compatible:http://h:1/v1#m": { input: 0.5, output: 1, cacheRead: 0.05 },
      "ollama:qwen3-coder": { input: 0.1, output: 0.2 },
    },
  };
  assert.deepEqual(lookupModelPrice(id("openai:gpt-5"), config), {
    input: 2,
    output: 20,
    cacheRead: 2,
    cacheWrite: 2,
    known: true,
  });
  assert.equal(lookupModelPrice(id("openai-compatible:http://h:1/v1#m"), config).input, 0.5);
  assert.equal(lookupModelPrice(id("openai-compatible:http://h:1/v1#m"), config).cacheRead, 0.05);
  assert.equal(lookupModelPrice(id("ollama:qwen3-coder"), config).output, 0.2);
});

test("cost is tokens times price per million", () => {
  const info = flat(3, 15);
  assert.equal(estimateCostUsd(info, { inputTokens: 1_000_000, outputTokens: 0 }), 3);
  assert.ok(Math.abs(estimateCostUsd(info, { inputTokens: 10_000, outputTokens: 2_000 }) - 0.06) < 1e-12);
  assert.equal(estimateCostUsd(flat(0, 0), { inputTokens: 5, outputTokens: 5 }), 0);
});

test("cached input is priced at the cache prices, the rest at the input price", () => {
  const sonnet = createModelClient("anthropic:claude-sonnet-4-5", { env: { ANTHROPIC_API_KEY: "k" } }).info;
  const usage = {
    inputTokens: 1_000_000,
    outputTokens: 0,
    cacheReadTokens: 800_000,
    cacheWriteTokens: 100_000,
  };
  // 100k uncached at $3, 800k read at $0.30, 100k written at $3.75 (per million).
  const expected = 0.3 + 0.24 + 0.375;
  assert.ok(
    Math.abs(estimateCostUsd(sonnet, usage) - expected) < 1e-12,
    String(estimateCostUsd(sonnet, usage)),
  );
  assert.equal(estimateUncachedCostUsd(sonnet, usage), 3);
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
      prices: { "ollama:qwen3-coder": { input: 0.1, output: 0.2, cacheWrite: 0.1 } },
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
    cacheReadPricePerMTok: 0.1,
    cacheWritePricePerMTok: 0.1,
    priceKnown: true,
    isScripted: false,
  });
});

test("the worst case of a call prices its input with the stated margin, at the dearest input price, and the full output", () => {
  const sonnet = createModelClient("anthropic:claude-sonnet-4-5", { env: { ANTHROPIC_API_KEY: "k" } }).info;
  const worst = estimateWorstCaseCostUsd(sonnet, 1_000, 10_000);
  const expected = (1_000 * (1 + inputEstimateMargin) * 3.75 + 10_000 * 15) / 1_000_000;
  assert.ok(Math.abs(worst - expected) < 1e-12, `${worst} vs ${expected}`);
  assert.ok(inputEstimateMargin >= 0.3, "the margin covers tokenizers that count a third more than chars/4");
});
