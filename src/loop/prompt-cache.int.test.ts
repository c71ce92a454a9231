// The loop's requests as a provider's cache sees them: the real Anthropic provider (AI SDK) over
// HTTP to the loopback Messages server, whose simulated prompt cache counts what a real one would.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createModelClient, estimateWorstCaseCostUsd } from "../model/index.ts";
import { startLoopbackAnthropicServer } from "../model/testing/loopback-anthropic-server.ts";
import type { LoopbackReply, LoopbackRequest } from "../model/testing/loopback-server.ts";
import { createToolset } from "../tools/index.ts";
import { type LoopEvent, type LoopOptions, planResume, type RunConfig, runLoop } from "./index.ts";
import { createMemoryWorkspace } from "./testing/memory-workspace.ts";

const files = Object.fromEntries(
  Array.from({ length: 12 }, (_, i) => [
    `src/m${i}.js`,
    `export const v${i} = ${i}; // ${"pad ".repeat(300)}\n`,
  ]),
);
const modelId = "anthropic:claude-sonnet-4-5";
const neverStall = { repeat: 1e9, noChangeSteps: 1e9, noShrinkRuns: 1e9, oscillationReturns: 1e9 };

function readReply(i: number): LoopbackReply {
  const args = JSON.stringify({ path: `src/m${i % 12}.js` });
  return {
    type: "stream",
    text: [`Reading module ${i}.`],
    toolCalls: [{ name: "read_file", argsChunks: [args] }],
  };
}

function loopOptions(baseURL: string, events: LoopEvent[], contextWindow: number): LoopOptions {
  const model = createModelClient(modelId, {
    env: { ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: baseURL },
    config: { contextWindows: { [modelId]: contextWindow } },
    retry: { maxRetries: 0 },
  });
  const config: RunConfig = {
    task: "Read every module (prompt-cache test).",
    workspace: "/memory/workspace",
    model: { id: modelId, label: modelId, contextWindow },
    verify: { commands: ["check"], protect: [], hidden: 0 },
    budgets: { maxSteps: 30 },
    launch: {},
  };
  return {
    runId: "cache-run",
    config,
    model,
    tools: createToolset(),
    env: createMemoryWorkspace(files, () => ["not done"]),
    systemPrompt: `You are a careful engineer. ${"Follow the house rules. ".repeat(200)}`,
    stallThresholds: neverStall,
    maxOutputTokens: 1000,
    onEvent: (e) => events.push(e),
  };
}

type AnthropicBody = {
  system?: { cache_control?: unknown }[];
  messages: { content: { cache_control?: unknown }[] }[];
};
const marked = (part: { cache_control?: unknown }) => part.cache_control !== undefined;

function breakpointsOf(request: LoopbackRequest) {
  const body = request.body as AnthropicBody;
  const system = (body.system ?? []).filter(marked).length;
  const messages = body.messages.flatMap((m, i) => (m.content.some(marked) ? [i] : []));
  return { system, messages, count: system + messages.length, messageCount: body.messages.length };
}

test("Anthropic requests mark the system prompt, the previous request's end and the last message; the cache serves the rest", async () => {
  const server = await startLoopbackAnthropicServer([
    ...Array.from({ length: 8 }, (_, i) => readReply(i)),
    { type: "error", status: 400, message: "end of this test's script" },
  ]);
  try {
    const events: LoopEvent[] = [];
    await runLoop(loopOptions(server.baseURL, events, 200_000));
    const streamed = server.requests.filter((r) => r.cache);
    assert.equal(streamed.length, 8, "eight answered requests (the ninth was refused)");
    for (const [i, request] of streamed.entries()) {
      const marks = breakpointsOf(request);
      assert.ok(marks.count <= 4, `at most 4 breakpoints: ${JSON.stringify(marks)}`);
      assert.equal(marks.system, 1, "the system prompt (and the tools before it) is a breakpoint");
      assert.equal(marks.messages.at(-1), marks.messageCount - 1, "the last message is a breakpoint");
      if (i > 0) {
        const previous = (streamed[i - 1]!.body as AnthropicBody).messages.length;
        assert.ok(marks.messages.includes(previous - 1), `request ${i + 1} marks where request ${i} ended`);
      }
    }
    // From the second request on, all but the newest step is read from the cache.
    for (const request of streamed.slice(1)) {
      const { inputTokens, cacheReadTokens } = request.cache!;
      assert.ok(cacheReadTokens / inputTokens > 0.7, `cache read ${cacheReadTokens} of ${inputTokens}`);
    }
    const responses = events.filter((e) => e.type === "model.response");
    assert.equal(responses.at(-1)?.usage.cacheReadTokens, streamed[7]!.cache!.cacheReadTokens);
    const finished = events.findLast((e) => e.type === "run.finished");
    assert.ok(finished && finished.totals.cacheReadTokens > 0, "the run's totals count cached tokens");
  } finally {
    await server.close();
  }
});

test("a resumed run's first request is the request the crashed run was making, and the cache serves it", async () => {
  const server = await startLoopbackAnthropicServer([
    ...Array.from({ length: 14 }, (_, i) => readReply(i)),
    { type: "error", status: 400, message: "end of the first run" },
    ...Array.from({ length: 4 }, (_, i) => readReply(i + 13)),
    { type: "error", status: 400, message: "end of the resumed run" },
  ]);
  try {
    // A small window, so the conversation is compacted before the crash.
    const events: LoopEvent[] = [];
    await runLoop(loopOptions(server.baseURL, events, 12_000));
    assert.ok(
      events.some((e) => e.type === "context.compacted" && e.step < 14),
      "compacted before step 14",
    );
    // The crash: the log ends inside step 14, after its model call.
    const cut = events.findIndex((e) => e.type === "tool.call" && e.step === 14);
    const plan = planResume(events.slice(0, cut + 1));
    assert.equal(plan.lastStep, 13);
    const beforeCrash = server.requests.filter((r) => r.cache)[13]!;

    const resumed: LoopEvent[] = [];
    const firstOfRun2 = server.requests.length;
    await runLoop({ ...loopOptions(server.baseURL, resumed, 12_000), resume: plan });
    const afterResume = server.requests[firstOfRun2 + 0]!;
    assert.equal(
      JSON.stringify(afterResume.body),
      JSON.stringify(beforeCrash.body),
      "byte-identical request",
    );
    const { inputTokens, cacheReadTokens } = afterResume.cache!;
    assert.ok(
      cacheReadTokens / inputTokens > 0.9,
      `served from the cache: ${cacheReadTokens} of ${inputTokens}`,
    );
  } finally {
    await server.close();
  }
});

test("a failed attempt the provider may bill counts in the totals, and a retry that could pass --max-cost is not made", async () => {
  const cut: LoopbackReply = {
    type: "stream",
    text: ["partial ", "answer ", "lost"],
    toolCalls: [{ name: "read_file", argsChunks: ['{"path":"src/m0.js"}'] }],
    cutAfterEvents: 3,
  };
  const replies = () => [cut, readReply(0), cut, readReply(1), readReply(2)];
  const runWith = async (budgets: RunConfig["budgets"]) => {
    const server = await startLoopbackAnthropicServer(replies());
    const events: LoopEvent[] = [];
    const options = loopOptions(server.baseURL, events, 200_000);
    const model = createModelClient(modelId, {
      env: { ANTHROPIC_API_KEY: "test-key", ANTHROPIC_BASE_URL: server.baseURL },
      retry: { maxRetries: 2, baseDelayMs: 10, maxDelayMs: 50 },
    });
    try {
      const result = await runLoop({ ...options, model, config: { ...options.config, budgets } });
      return { result, events, requests: server.requests.length, info: model.info };
    } finally {
      await server.close();
    }
  };
  // Uncapped: every billed attempt (the cut ones included) is in the totals.
  const free = await runWith({ maxSteps: 3 });
  const retries = free.events.filter((e) => e.type === "model.retry");
  assert.equal(retries.length, 2);
  assert.ok(
    retries.every((e) => (e.usage?.inputTokens ?? 0) > 0 && e.usageEstimated),
    JSON.stringify(retries),
  );
  const responses = free.events.filter((e) => e.type === "model.response");
  const sum = [...retries, ...responses].reduce((n, e) => n + (e.usage?.inputTokens ?? 0), 0);
  assert.equal(free.result.totals.inputTokens, sum, "every billed attempt is in the totals");
  const costs = [...retries, ...responses].reduce((n, e) => n + (e.costUsd ?? 0), 0);
  assert.ok(Math.abs(free.result.totals.costUsd - costs) < 1e-12);

  // Capped so that step 2's first attempt fits but, once its cut attempt is billed, its retry does not.
  const spentAfterStep1 = free.events.find((e) => e.type === "step.finished" && e.step === 1)!;
  const request2 = free.events.find((e) => e.type === "model.request" && e.step === 2)!;
  assert.ok(spentAfterStep1.type === "step.finished" && request2.type === "model.request");
  const worst = estimateWorstCaseCostUsd(free.info, request2.estimatedTokens, 1000);
  const cap = spentAfterStep1.totals.costUsd + worst + (retries[1]!.costUsd ?? 0) / 2;
  const capped = await runWith({ maxSteps: 3, maxCostUsd: cap });
  assert.equal(capped.result.outcome, "budget", capped.result.reason);
  assert.equal(capped.requests, 3, "step 1 (cut, then answered) and step 2's first attempt; no retry");
  assert.ok(capped.result.totals.costUsd <= cap, `${capped.result.totals.costUsd} <= ${cap}`);
});
