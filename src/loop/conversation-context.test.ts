import assert from "node:assert/strict";
import { test } from "node:test";
import { ConversationContext, type LoopEvent, type LoopEventInput } from "./index.ts";

const at = (input: LoopEventInput): LoopEvent => ({ ...input, runId: "r", at: 0 }) as LoopEvent;
const started = at({
  type: "run.started",
  config: {
    task: "THE TASK: make the parser accept trailing commas",
    workspace: "/w",
    model: { id: "m", label: "m", contextWindow: 1000 },
    verify: { commands: ["npm test"], protect: [], hidden: 0 },
    budgets: { maxSteps: 50 },
    launch: {},
  },
});

function step(context: ConversationContext, n: number, observation: string): void {
  const call = { id: `c${n}`, name: "read_file", args: { path: `file${n}.ts` } };
  context.apply(
    at({
      type: "model.response",
      step: n,
      text: `step ${n}`,
      toolCalls: [call],
      usage: { inputTokens: 0, outputTokens: 0 },
      costUsd: 0,
      finishReason: "tool-calls",
    }),
  );
  context.apply(
    at({
      type: "tool.result",
      step: n,
      callId: call.id,
      name: "read_file",
      content: observation,
      isError: false,
      mutated: false,
      durationMs: 1,
    }),
  );
}

test("a context under budget is sent whole, in order", () => {
  const context = new ConversationContext("SYSTEM", { budgetTokens: 10_000, keepRecentSteps: 2 });
  context.apply(started);
  step(context, 1, "short");
  const rendered = context.render();
  assert.deepEqual(
    rendered.messages.map((m) => m.role),
    ["system", "user", "assistant", "tool"],
  );
  assert.equal(rendered.elidedSteps, 0);
});

const failingVerdict = (n: number, text: string) =>
  at({
    type: "verify.verdict",
    step: n,
    reason: "verify-tool",
    verdict: "fail",
    cleanRoom: true,
    failingCount: 1,
    fingerprint: "f",
    text,
    restoredProtected: [],
    patchHash: "h",
    durationMs: 1,
  });

/** What the engine does before each model call: open the step, compact if needed, render. */
function request(context: ConversationContext, n: number) {
  context.apply(at({ type: "step.started", step: n }));
  const plan = context.planCompaction();
  if (plan) context.apply(at({ type: "context.compacted", step: n, ...plan }));
  return { rendered: context.render(), compacted: plan !== undefined };
}

const isPrefix = (a: unknown[], b: unknown[]) =>
  a.length <= b.length && a.every((m, i) => JSON.stringify(m) === JSON.stringify(b[i]));

test("each request repeats the previous one as its prefix and says how much of it is stable", () => {
  const context = new ConversationContext("SYSTEM", { budgetTokens: 100_000, keepRecentSteps: 2 });
  context.apply(started);
  let previous = request(context, 1).rendered;
  step(context, 1, "first");
  for (let n = 2; n <= 6; n++) {
    const { rendered } = request(context, n);
    assert.ok(isPrefix(previous.messages, rendered.messages), `request ${n} extends request ${n - 1}`);
    assert.equal(rendered.stableMessages, previous.messages.length);
    step(context, n, `observation ${n}`);
    previous = rendered;
  }
});

test("near the budget it compacts once, then appends again; the task and latest failures stay", () => {
  const context = new ConversationContext("SYSTEM", { budgetTokens: 1500, keepRecentSteps: 2 });
  context.apply(started);
  const requests: { rendered: ReturnType<ConversationContext["render"]>; compacted: boolean }[] = [];
  requests.push(request(context, 1));
  step(context, 1, "x".repeat(2000));
  context.apply(failingVerdict(1, "FAILING: trailing comma test"));
  for (let n = 2; n <= 12; n++) {
    requests.push(request(context, n));
    step(context, n, `${"y".repeat(800)} observation ${n}`);
  }
  const { rendered } = request(context, 13);
  const text = rendered.messages.map((m) => m.content).join("\n");
  assert.ok(rendered.estimatedTokens <= 1500, `within budget: ${rendered.estimatedTokens}`);
  assert.match(text, /THE TASK: make the parser accept trailing commas/);
  assert.match(text, /FAILING: trailing comma test/, "the latest failures are pinned");
  assert.match(text, /observation 12/, "the latest step is whole");
  assert.doesNotMatch(text, /x{2000}/, "old observations are gone");
  assert.ok(rendered.elidedSteps > 0);
  for (const { rendered: r } of requests) assert.ok(r.estimatedTokens <= 1500, String(r.estimatedTokens));
  // Between compactions every request extends the one before: the cache misses only at a compaction.
  const compactions = requests.filter((r) => r.compacted).length;
  assert.ok(compactions >= 1 && compactions <= 4, `compacted ${compactions} times in 12 requests`);
  for (let i = 1; i < requests.length; i++) {
    const [a, b] = [requests[i - 1]!, requests[i]!];
    if (!b.compacted) assert.ok(isPrefix(a.rendered.messages, b.rendered.messages), `request ${i + 1}`);
    assert.deepEqual(b.rendered.messages.slice(0, 2), requests[0]!.rendered.messages.slice(0, 2));
  }
  // Every assistant tool call still has its tool answer right after it (providers require it).
  rendered.messages.forEach((m, i) => {
    if (m.role === "assistant" && m.toolCalls?.length) assert.equal(rendered.messages[i + 1]?.role, "tool");
  });
});

test("a context rebuilt from the same events renders the same bytes (what resume relies on)", () => {
  const events: LoopEvent[] = [];
  const original = new ConversationContext("SYSTEM", { budgetTokens: 1500, keepRecentSteps: 2 });
  const record = (event: LoopEvent) => {
    events.push(event);
    original.apply(event);
  };
  record(started);
  for (let n = 1; n <= 9; n++) {
    record(at({ type: "step.started", step: n }));
    const plan = original.planCompaction();
    if (plan) record(at({ type: "context.compacted", step: n, ...plan }));
    const call = { id: `c${n}`, name: "read_file", args: { path: `f${n}` } };
    record(
      at({
        type: "model.response",
        step: n,
        text: "",
        toolCalls: [call],
        usage: { inputTokens: 0, outputTokens: 0 },
        costUsd: 0,
        finishReason: "tool-calls",
      }),
    );
    record(
      at({
        type: "tool.result",
        step: n,
        callId: call.id,
        name: "read_file",
        content: `${"z".repeat(900)} ${n}`,
        isError: false,
        mutated: false,
        durationMs: 1,
      }),
    );
  }
  assert.ok(events.some((e) => e.type === "context.compacted"));
  const rebuilt = new ConversationContext("SYSTEM", { budgetTokens: 1500, keepRecentSteps: 2 });
  for (const event of events) rebuilt.apply(event);
  assert.deepEqual(rebuilt.render(), original.render());
});

test("an output too large for its step is clipped on arrival, head and tail kept, the cut said", () => {
  const context = new ConversationContext("SYSTEM", { budgetTokens: 2000, keepRecentSteps: 2 });
  context.apply(started);
  const big = Array.from({ length: 2000 }, (_, i) => `line ${i}`).join("\n");
  step(context, 1, big);
  const { rendered } = request(context, 2);
  const tool = rendered.messages.find((m) => m.role === "tool")!;
  assert.ok(rendered.estimatedTokens <= 2000, String(rendered.estimatedTokens));
  assert.match(tool.content, /^line 0\n/);
  assert.match(tool.content, /line 1999$/);
  assert.match(tool.content, /lines\) cut to fit the context window/);
});
