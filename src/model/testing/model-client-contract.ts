// The ModelClient contract, written once and run against every provider's loopback server
// (STYLE.md: "one shared suite per interface"). A new provider passes it or is not done.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { estimateCostUsd } from "../price-table.ts";
import type { ModelClient, ModelErrorKind, ModelRequest, ModelStreamEvent, RetryOptions } from "../types.ts";
import type { LoopbackReply, LoopbackServer, LoopbackStreamReply } from "./loopback-server.ts";

export interface ContractTarget {
  /** e.g. "anthropic over the Messages SSE format". */
  name: string;
  startServer(replies: LoopbackReply[]): Promise<LoopbackServer>;
  /** A client for this provider pointed at `baseURL`, with the given retry policy and idle timeout. */
  createClient(baseURL: string, retry: RetryOptions, timeoutMs: number): ModelClient;
  /** Env variable named in auth errors, if the provider uses a key. */
  apiKeyEnv?: string;
}

const fastRetry: RetryOptions = { maxRetries: 2, baseDelayMs: 20, maxDelayMs: 2_000 };

const editFileTool = {
  name: "edit_file",
  description: "Replace exact text in a file.",
  parameters: {
    type: "object",
    properties: { path: { type: "string" }, oldText: { type: "string" }, newText: { type: "string" } },
    required: ["path", "oldText", "newText"],
  },
};

const request: ModelRequest = {
  messages: [
    { role: "system", content: "You fix bugs." },
    { role: "user", content: "Make the tests pass." },
  ],
  tools: [editFileTool],
};

const ok = (text: string[], usage = { inputTokens: 120, outputTokens: 30 }): LoopbackStreamReply => ({
  type: "stream",
  text,
  usage,
  eventDelayMs: 1,
});

/** A reply whose usage the server counts (tokens and cache) as the real service would. */
const counted = (text: string[]): LoopbackStreamReply => ({ type: "stream", text, eventDelayMs: 1 });

export function describeModelClientContract(target: ContractTarget): void {
  describe(`ModelClient contract: ${target.name}`, () => {
    const servers: LoopbackServer[] = [];
    // Every failure below must come back as a value; a stray rejection anywhere fails the suite.
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    before(() => process.on("unhandledRejection", onRejection));
    after(async () => {
      await Promise.all(servers.map((s) => s.close()));
      process.off("unhandledRejection", onRejection);
    });

    // A generous idle timeout: on a loaded machine the first request of a suite can take seconds.
    async function setup(replies: LoopbackReply[], retry = fastRetry, timeoutMs = 10_000) {
      const server = await target.startServer(replies);
      servers.push(server);
      const client = target.createClient(server.baseURL, retry, timeoutMs);
      const events: ModelStreamEvent[] = [];
      const run = (req: ModelRequest = request) => client.step(req, (e) => events.push(e));
      return { server, client, events, run };
    }

    test("streamed text arrives as deltas and usage and cost are counted", async () => {
      const { client, events, run } = await setup([ok(["The bug ", "is in ", "add()."])]);
      const result = await run();
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.response.text, "The bug is in add().");
      const deltas = events.flatMap((e) => (e.type === "text-delta" ? [e.text] : []));
      assert.deepEqual(deltas, ["The bug ", "is in ", "add()."]);
      const { inputTokens, outputTokens, cacheReadTokens } = result.response.usage;
      assert.deepEqual({ inputTokens, outputTokens }, { inputTokens: 120, outputTokens: 30 });
      assert.equal(cacheReadTokens ?? 0, 0);
      assert.equal(result.response.costUsd, estimateCostUsd(client.info, result.response.usage));
      assert.equal(events.at(-1)?.type, "finish");
    });

    test("cached input tokens the server reports are read back and priced at the cache price", async () => {
      const usage = { inputTokens: 4_000, outputTokens: 10, cacheReadTokens: 3_000 };
      const { client, run } = await setup([{ ...ok(["ok"]), usage }]);
      const result = await run();
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.response.usage.inputTokens, 4_000);
      assert.equal(result.response.usage.cacheReadTokens, 3_000);
      assert.equal(result.response.costUsd, estimateCostUsd(client.info, result.response.usage));
    });

    test("a request that repeats an earlier one's long prefix is served from the provider's cache", async () => {
      const { run, server } = await setup([counted(["first"]), counted(["second"])]);
      const system = { role: "system" as const, content: `You fix bugs. ${"Be exact. ".repeat(800)}` };
      const first: ModelRequest = {
        tools: [editFileTool],
        messages: [system, { role: "user", content: "Make the tests pass." }],
        cache: { key: "closedloop-contract", stableMessages: 0 },
      };
      const a = await run(first);
      assert.ok(a.ok, JSON.stringify(a));
      const second: ModelRequest = {
        ...first,
        messages: [
          ...first.messages,
          { role: "assistant", content: "first" },
          { role: "user", content: "go on" },
        ],
        cache: { key: "closedloop-contract", stableMessages: 2 },
      };
      const b = await run(second);
      assert.ok(b.ok, JSON.stringify(b));
      assert.equal(a.response.usage.cacheReadTokens ?? 0, 0, "nothing cached before the first request");
      const read = b.response.usage.cacheReadTokens ?? 0;
      assert.ok(read >= 1_024, `the shared prefix was read from the cache: ${read}`);
      assert.equal(read, server.requests[1]?.cache?.cacheReadTokens);
      assert.ok(read < b.response.usage.inputTokens);
    });

    test("tool calls whose arguments stream in pieces are parsed into objects", async () => {
      const args1 = ['{"path": "src/ad', 'd.ts", "oldText": "a - b", ', '"newText": "a + b"}'];
      const reply: LoopbackReply = {
        type: "stream",
        text: ["Fixing."],
        toolCalls: [
          { id: "call_a", name: "edit_file", argsChunks: args1 },
          { id: "call_b", name: "verify", argsChunks: ["{}"] },
        ],
        usage: { inputTokens: 200, outputTokens: 40 },
      };
      const { events, run, server } = await setup([reply]);
      const result = await run();
      assert.ok(result.ok, JSON.stringify(result));
      // Providers may attach their own metadata to a call (the Responses API its item id).
      const calls = result.response.toolCalls.map(({ providerMetadata: _meta, ...call }) => call);
      assert.deepEqual(calls, [
        { id: "call_a", name: "edit_file", args: { path: "src/add.ts", oldText: "a - b", newText: "a + b" } },
        { id: "call_b", name: "verify", args: {} },
      ]);
      assert.equal(result.response.finishReason, "tool-calls");
      assert.equal(events.filter((e) => e.type === "tool-call").length, 2);
      assert.match(JSON.stringify(server.requests[0]?.body), /edit_file/);
    });

    test("malformed tool-call JSON comes back as a call with argsError and the raw text", async () => {
      const reply: LoopbackReply = {
        type: "stream",
        toolCalls: [
          { id: "call_bad", name: "edit_file", argsChunks: ['{"path": "a.ts", ', "'oldText': oops"] },
        ],
        usage: { inputTokens: 10, outputTokens: 5 },
      };
      const { run } = await setup([reply]);
      const result = await run();
      assert.ok(result.ok, JSON.stringify(result));
      const call = result.response.toolCalls[0]!;
      assert.equal(call.name, "edit_file");
      assert.equal(call.args, '{"path": "a.ts", \'oldText\': oops');
      assert.match(call.argsError ?? "", /not valid JSON/);
    });

    test("a 429 with Retry-After is retried after the delay the server asked for", async () => {
      const { events, run, server } = await setup([
        { type: "error", status: 429, message: "slow down", headers: { "retry-after": "1" } },
        ok(["done"]),
      ]);
      const result = await run();
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.response.text, "done");
      const retry = events.find((e) => e.type === "retry");
      assert.deepEqual(retry && { delayMs: retry.delayMs, kind: retry.kind }, {
        delayMs: 1_000,
        kind: "rate-limit",
      });
      const gap = server.requests[1]!.receivedAt - server.requests[0]!.receivedAt;
      assert.ok(gap >= 950, `second request came ${gap} ms after the first`);
    });

    test("a 500 is retried and the next attempt succeeds", async () => {
      const { events, run, server } = await setup([
        { type: "error", status: 500, message: "boom" },
        ok(["ok"]),
      ]);
      const result = await run();
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(server.requests.length, 2);
      const retry = events.find((e) => e.type === "retry");
      assert.equal(retry?.type, "retry");
      assert.equal(retry?.type === "retry" && retry.billed, undefined, "a refused request is not billed");
    });

    // A first attempt that goes wrong mid-stream, a second that succeeds: the answer is the second.
    const brokenStreams: {
      name: string;
      broken: LoopbackReply;
      retried: LoopbackReply;
      text: string;
      kind: ModelErrorKind;
      timeoutMs?: number;
    }[] = [
      {
        name: "a stream cut mid-way is retried and the answer is the complete second attempt",
        broken: { ...ok(["partial ", "answer ", "lost"]), cutAfterEvents: 3 },
        retried: ok(["whole ", "answer"]),
        text: "whole answer",
        kind: "stream-cut",
      },
      {
        name: "an overloaded error inside the stream is retried",
        broken: { ...ok(["so ", "far"]), errorAfterEvents: 2 },
        retried: ok(["recovered"]),
        text: "recovered",
        kind: "server",
      },
      {
        name: "a stream that ends cleanly before its finish event is retried",
        broken: { ...ok(["half", " of", " it"]), endAfterEvents: 2 },
        retried: ok(["full"]),
        text: "full",
        kind: "stream-cut",
      },
      {
        name: "a stream that stalls is abandoned after the idle timeout and retried",
        broken: { ...ok(["thinking", " about", " it"]), stallAfterEvents: 2 },
        retried: ok(["awake"]),
        text: "awake",
        kind: "timeout",
        timeoutMs: 1_000, // short enough to test, long enough for the retry to answer on a loaded machine
      },
    ];
    for (const { name, broken, retried, text, kind, timeoutMs } of brokenStreams) {
      test(name, async () => {
        const { events, run, server } = await setup([broken, retried], fastRetry, timeoutMs);
        const result = await run();
        assert.ok(result.ok, JSON.stringify(result));
        assert.equal(result.response.text, text);
        assert.equal(server.requests.length, 2);
        const retry = events.find((e) => e.type === "retry");
        assert.equal(retry?.type === "retry" && retry.kind, kind, JSON.stringify(retry));
        // The provider answered, so the failed attempt may be billed: it is counted.
        const billed = retry?.type === "retry" ? retry.billed : undefined;
        assert.ok(billed && billed.usage.inputTokens > 0, `failed attempt billed: ${JSON.stringify(billed)}`);
      });
    }

    test("a 401 is not retried and says to check the key", async () => {
      const { events, run, server } = await setup([
        { type: "error", status: 401, message: "invalid x-api-key" },
      ]);
      const result = await run();
      assert.equal(result.ok, false);
      assert.ok(!result.ok);
      assert.equal(result.error.kind, "auth");
      assert.equal(result.error.retryable, false);
      assert.match(result.error.message, /401/);
      if (target.apiKeyEnv) assert.match(result.error.message, new RegExp(target.apiKeyEnv));
      assert.equal(server.requests.length, 1);
      assert.equal(events.at(-1)?.type, "error");
    });

    test("a 400 is not retried", async () => {
      const { run, server } = await setup([
        { type: "error", status: 400, message: "messages: field required" },
      ]);
      const result = await run();
      assert.ok(!result.ok);
      assert.equal(result.error.kind, "bad-request");
      assert.equal(server.requests.length, 1);
    });

    test("when retries run out the result is exhausted, not an exception", async () => {
      const failing: LoopbackReply = { type: "error", status: 503, message: "overloaded" };
      const { events, run, server } = await setup([failing, failing, failing, ok(["never"])]);
      const result = await run();
      assert.ok(!result.ok);
      assert.equal(result.error.kind, "exhausted");
      assert.equal(result.error.lastKind, "server");
      assert.equal(result.error.attempts, 3);
      assert.equal(server.requests.length, 3);
      assert.equal(events.filter((e) => e.type === "retry").length, 2);
      assert.equal(events.at(-1)?.type, "error");
    });

    test("a conversation with tool results, including a malformed call, is accepted by the wire format", async () => {
      const { run, server } = await setup([ok(["next"])]);
      const history: ModelRequest = {
        tools: [editFileTool],
        messages: [
          ...request.messages,
          {
            role: "assistant",
            content: "",
            toolCalls: [
              { id: "c1", name: "edit_file", args: { path: "a.ts", oldText: "x", newText: "y" } },
              { id: "c2", name: "edit_file", args: "{oops", argsError: "arguments are not valid JSON" },
            ],
          },
          { role: "tool", toolCallId: "c1", toolName: "edit_file", content: "edited a.ts" },
          {
            role: "tool",
            toolCallId: "c2",
            toolName: "edit_file",
            content: "bad JSON: {oops",
            isError: true,
          },
        ],
      };
      const result = await run(history);
      assert.ok(result.ok, JSON.stringify(result));
      const sent = JSON.stringify(server.requests[0]?.body);
      assert.match(sent, /edited a\.ts/);
      assert.match(sent, /bad JSON: \{oops/);
    });

    test("an aborted call stops at once and is not retried", async () => {
      const controller = new AbortController();
      const stalled: LoopbackReply = { ...ok(["slow"]), stallAfterEvents: 1 };
      const { run, server } = await setup([stalled, ok(["never"])], fastRetry, 5_000);
      // Abort once the request is in (a loaded machine may take longer than a fixed delay).
      const timer = setInterval(() => {
        if (server.requests.length > 0) controller.abort();
      }, 20);
      const result = await run({ ...request, signal: controller.signal });
      clearInterval(timer);
      assert.ok(!result.ok);
      assert.equal(result.error.kind, "aborted");
      assert.equal(server.requests.length, 1);
    });

    test("none of the failures above left an unhandled rejection behind", async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(rejections, []);
    });
  });
}
