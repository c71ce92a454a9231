import assert from "node:assert/strict";
import { test } from "node:test";
import { PromptCacheSimulator } from "./loopback-prompt-cache.ts";

const block = (tag: string, tokens: number) => `${tag}:${"x".repeat(tokens * 4 - tag.length - 1)}`;
const system = block("system", 2_000);

test("automatic caching serves the longest shared prefix, in 128-token steps, from 1024 tokens on", () => {
  const cache = new PromptCacheSimulator({ kind: "automatic", minTokens: 1024, granularity: 128 });
  assert.equal(cache.account({ blocks: [system, block("a", 100)], breakpoints: [] }).cacheReadTokens, 0);
  const second = cache.account({ blocks: [system, block("a", 100), block("b", 50)], breakpoints: [] });
  assert.equal(second.cacheReadTokens, 2_048, "2,100 shared tokens, counted in whole 128-token steps");
  const short = new PromptCacheSimulator({ kind: "automatic", minTokens: 1024, granularity: 128 });
  short.account({ blocks: [block("s", 500)], breakpoints: [] });
  assert.equal(short.account({ blocks: [block("s", 500), "more"], breakpoints: [] }).cacheReadTokens, 0);
});

test("breakpoint caching reads only prefixes an earlier request wrote at a breakpoint", () => {
  const unmarked = new PromptCacheSimulator({ kind: "breakpoints", minTokens: 1024, lookback: 20 });
  unmarked.account({ blocks: [system, block("a", 100)], breakpoints: [] });
  const again = unmarked.account({ blocks: [system, block("a", 100), block("b", 10)], breakpoints: [] });
  assert.deepEqual([again.cacheReadTokens, again.cacheWriteTokens], [0, 0], "no cache_control, no cache");

  const marked = new PromptCacheSimulator({ kind: "breakpoints", minTokens: 1024, lookback: 20 });
  const first = marked.account({ blocks: [system, block("a", 100)], breakpoints: [0, 1] });
  assert.deepEqual([first.cacheReadTokens, first.cacheWriteTokens], [0, 2_100]);
  const next = marked.account({ blocks: [system, block("a", 100), block("b", 10)], breakpoints: [0, 1, 2] });
  assert.deepEqual([next.cacheReadTokens, next.cacheWriteTokens], [2_100, 10]);
  // A change early in the prompt leaves only the system prefix readable.
  const changed = marked.account({ blocks: [system, block("A", 100), block("b", 10)], breakpoints: [0, 2] });
  assert.deepEqual([changed.cacheReadTokens, changed.cacheWriteTokens], [2_000, 110]);
});

test("a breakpoint finds an entry up to `lookback` blocks before it, not further", () => {
  const cache = new PromptCacheSimulator({ kind: "breakpoints", minTokens: 1024, lookback: 2 });
  cache.account({ blocks: [system], breakpoints: [0] });
  const near = cache.account({ blocks: [system, "a", "b"], breakpoints: [2] });
  assert.equal(near.cacheReadTokens, 2_000);
  const far = new PromptCacheSimulator({ kind: "breakpoints", minTokens: 1024, lookback: 2 });
  far.account({ blocks: [system], breakpoints: [0] });
  assert.equal(far.account({ blocks: [system, "a", "b", "c"], breakpoints: [3] }).cacheReadTokens, 0);
});
