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

test("near the budget, old observations are shrunk and dropped but the task and latest failures stay", () => {
  const context = new ConversationContext("SYSTEM", { budgetTokens: 1500, keepRecentSteps: 2 });
  context.apply(started);
  step(context, 1, "x".repeat(2000));
  context.apply(
    at({
      type: "verify.verdict",
      step: 1,
      reason: "verify-tool",
      verdict: "fail",
      cleanRoom: true,
      failingCount: 1,
      fingerprint: "f",
      text: "FAILING: trailing comma test",
      restoredProtected: [],
      patchHash: "h",
      durationMs: 1,
    }),
  );
  for (let n = 2; n <= 12; n++) step(context, n, `${"y".repeat(1600)} observation ${n}`);
  const rendered = context.render();
  const text = rendered.messages.map((m) => m.content).join("\n");
  assert.ok(rendered.estimatedTokens <= 1500, `within budget: ${rendered.estimatedTokens}`);
  assert.match(text, /THE TASK: make the parser accept trailing commas/);
  assert.match(text, /FAILING: trailing comma test/, "the latest failures are pinned");
  assert.match(text, /observation 12/, "the latest step is whole");
  assert.doesNotMatch(text, /x{2000}/, "old observations are gone");
  assert.ok(rendered.elidedSteps > 0);
  // Every assistant tool call still has its tool answer right after it (providers require it).
  rendered.messages.forEach((m, i) => {
    if (m.role === "assistant" && m.toolCalls?.length) assert.equal(rendered.messages[i + 1]?.role, "tool");
  });
});
