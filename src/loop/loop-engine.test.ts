import assert from "node:assert/strict";
import { test } from "node:test";
import { createScriptedModelClient, type ModelRequest, type ScriptedTurn } from "../model/index.ts";
import { createToolset } from "../tools/index.ts";
import type { LoopEvent, RunConfig } from "./index.ts";
import { type LoopOptions, planResume, readTrajectory, runLoop } from "./index.ts";
import { createMemoryWorkspace } from "./testing/memory-workspace.ts";

const project = {
  "src/add.js": "export function add(a, b) {\n  return a - b; // BUG add\n}\n",
  "src/mul.js": "export function mul(a, b) {\n  return a + b; // BUG mul\n}\n",
};
const bugs = (files: Map<string, string>) =>
  [...files].flatMap(([name, text]) => (text.includes("BUG") ? [`${name} is wrong`] : []));

const fixAdd: ScriptedTurn = {
  toolCalls: [
    { name: "edit_file", args: { path: "src/add.js", oldText: "a - b; // BUG add", newText: "a + b;" } },
  ],
};
const fixMul: ScriptedTurn = {
  toolCalls: [
    { name: "edit_file", args: { path: "src/mul.js", oldText: "a + b; // BUG mul", newText: "a * b;" } },
  ],
};
const verify: ScriptedTurn = { toolCalls: [{ name: "verify", args: {} }] };
const done: ScriptedTurn = { toolCalls: [{ name: "done", args: { summary: "fixed" } }] };

function config(overrides: Partial<RunConfig["budgets"]> = {}): RunConfig {
  return {
    task: "make the tests pass",
    workspace: "/memory/workspace",
    model: { id: "scripted:test", label: "scripted (no LLM)", contextWindow: 200_000 },
    verify: { commands: ["check"], protect: [], hidden: 0 },
    budgets: { maxSteps: 30, ...overrides },
    launch: {},
  };
}

function setup(
  turns: ScriptedTurn[],
  extra: Partial<LoopOptions> & { prices?: { input: number; output: number } } = {},
) {
  const workspace = createMemoryWorkspace(project, bugs);
  const scripted = createScriptedModelClient({ turns, ...(extra.prices ? { prices: extra.prices } : {}) });
  const requests: ModelRequest[] = [];
  const model = {
    info: scripted.info,
    resumeAfter: (n: number) => scripted.resumeAfter(n),
    step: (request: ModelRequest, onEvent?: Parameters<typeof scripted.step>[1]) => {
      requests.push(request);
      return scripted.step(request, onEvent);
    },
  };
  const events: LoopEvent[] = [];
  const options: LoopOptions = {
    runId: "test-run",
    config: config(),
    model,
    tools: createToolset(),
    env: workspace,
    systemPrompt: "system prompt",
    onEvent: (event) => events.push(event),
    ...extra,
  };
  return { workspace, requests, events, options, scripted };
}

test("a run goes from red through edits to a clean-room green and exits verified", async () => {
  const { events, options, workspace } = setup([fixAdd, verify, fixMul, done]);
  const result = await runLoop(options);
  assert.equal(result.outcome, "verified");
  assert.equal(result.failuresBefore, 2);
  assert.equal(result.failuresAfter, 0);
  assert.equal(result.steps, 4);
  assert.match(result.patch, /\+ {2}return a \* b;/);
  assert.deepEqual(bugs(workspace.files), []);
  const verdicts = events.filter((e) => e.type === "verify.verdict").map((e) => e.failingCount);
  assert.deepEqual(verdicts, [2, 1, 0]);
  assert.equal(events.filter((e) => e.type === "checkpoint.saved").length, 2);
  assert.equal(events.at(-1)?.type, "run.finished");
});

test("a done claim while the verifier is red is refused with the failures, and the loop goes on", async () => {
  const { events, options, requests } = setup([fixAdd, done, fixMul, done]);
  const result = await runLoop(options);
  const claims = events.filter((e) => e.type === "done.claimed").map((e) => e.accepted);
  assert.deepEqual(claims, [false, true]);
  const refusal = requests[2]!.messages.find((m) => m.role === "tool" && m.content.startsWith("Refused"));
  assert.ok(refusal, "the next request carries the refusal");
  assert.match(refusal.content, /src\/mul\.js is wrong/);
  assert.equal(result.outcome, "verified");
});

test("the model's own word never ends a run: text without tools and out of turns is not verified", async () => {
  const { options, events } = setup([{ text: "All fixed, trust me." }]);
  const result = await runLoop(options);
  assert.equal(result.outcome, "out-of-turns");
  assert.equal(result.verified, false);
  assert.ok(events.some((e) => e.type === "context.note" && e.text.includes("did not call a tool")));
});

test("repeating the same failing edit is a stall: nudge, then roll back to the best checkpoint, then stop", async () => {
  const wrongFix: ScriptedTurn = {
    toolCalls: [
      {
        name: "edit_file",
        args: { path: "src/add.js", oldText: "a - b; // BUG add", newText: "a - b - 0; // BUG add" },
      },
      { name: "verify", args: {} },
    ],
  };
  const { options, events, workspace } = setup([fixAdd, verify, ...Array(12).fill(wrongFix)]);
  const result = await runLoop(options);
  assert.equal(result.outcome, "stall");
  assert.match(result.reason, /stall/);
  const actions = events.filter((e) => e.type === "stall.detected").map((e) => e.action);
  assert.deepEqual(actions, ["nudge", "rollback", "stop"]);
  const restored = events.filter((e) => e.type === "checkpoint.restored");
  assert.equal(restored.length, 2);
  assert.equal(restored[0]!.failingCount, 1, "the best checkpoint had one failure");
  assert.ok(!workspace.files.get("src/add.js")!.includes("BUG"), "the workspace holds the best checkpoint");
});

test("max-steps stops the run before the step past the limit", async () => {
  const { options, events } = setup(Array(10).fill(verify), { config: config({ maxSteps: 3 }) });
  const result = await runLoop(options);
  assert.equal(result.outcome, "budget");
  assert.equal(result.steps, 3);
  assert.match(result.reason, /max-steps 3/);
  assert.ok(events.some((e) => e.type === "budget.exhausted" && e.budget === "steps"));
});

test("max-cost refuses a model call whose worst case would pass the cap, before making it", async () => {
  // $1000/M output tokens and 8192 output allowed: the worst case of one call is about $8.
  const { options, requests, events } = setup(Array(10).fill(verify), {
    prices: { input: 10, output: 1000 },
    config: config({ maxCostUsd: 5 }),
  });
  const result = await runLoop(options);
  assert.equal(result.outcome, "budget");
  assert.equal(requests.length, 0, "no call was made");
  assert.equal(result.totals.costUsd, 0);
  assert.ok(events.some((e) => e.type === "budget.exhausted" && e.budget === "cost"));
});

test("a run cut short mid-step resumes from its last completed step with every step exactly once", async () => {
  const turns = [fixAdd, verify, fixMul, done];
  const first = setup(turns);
  await runLoop(first.options);
  // Cut the log inside step 3, as a crash would (after its model.response).
  const cut = first.events.findIndex((e) => e.type === "tool.call" && e.step === 3);
  const log = first.events.slice(0, cut + 1);
  const plan = planResume(log);
  assert.equal(plan.lastStep, 2);
  assert.equal(plan.discardedEvents, 4);

  const second = setup(turns);
  const result = await runLoop({ ...second.options, resume: plan });
  assert.equal(result.outcome, "verified");
  const trajectory = readTrajectory([...log, ...second.events]).events;
  const finished = trajectory.filter((e) => e.type === "step.finished").map((e) => e.step);
  assert.deepEqual(finished, [1, 2, 3, 4]);
  const started = trajectory.filter((e) => e.type === "step.started").map((e) => e.step);
  assert.deepEqual(started, [1, 2, 3, 4]);
  assert.equal(second.scripted.nextTurn, 4, "the scripted model resumed at turn 3 and played 3 and 4");
});

test("over a long run the context stays under budget and is compacted rarely, appended to otherwise", async () => {
  const read: ScriptedTurn = { toolCalls: [{ name: "read_file", args: { path: "src/big.txt" } }] };
  const workspace = createMemoryWorkspace(
    { "src/big.txt": `${"a line of some length\n".repeat(300)}` },
    () => ["x"],
  );
  const scripted = createScriptedModelClient({ turns: Array(40).fill(read), contextWindow: 16_000 });
  const sent: ModelRequest[] = [];
  const model = {
    ...scripted,
    step: (r: ModelRequest, e?: Parameters<typeof scripted.step>[1]) => {
      sent.push(r);
      return scripted.step(r, e);
    },
  };
  const tokens: number[] = [];
  const compactedAt: number[] = [];
  await runLoop({
    runId: "ctx",
    config: config({ maxSteps: 40 }),
    model,
    tools: createToolset(),
    env: workspace,
    systemPrompt: "system",
    maxOutputTokens: 1000,
    stallThresholds: { repeat: 1000, noChangeSteps: 1000, noShrinkRuns: 1000, oscillationReturns: 1000 },
    onEvent: (e) => {
      if (e.type === "model.request") tokens.push(e.estimatedTokens);
      if (e.type === "context.compacted") compactedAt.push(e.step);
    },
  });
  assert.equal(tokens.length, 40);
  assert.ok(Math.max(...tokens) <= 16_000 * 0.6, `stays under the budget: ${Math.max(...tokens)}`);
  // Each step adds ~1,700 tokens to a ~7,800-token budget: a compaction every few steps, no more.
  assert.ok(compactedAt.length >= 2 && compactedAt.length <= 40 / 3, `compactions at ${compactedAt}`);
  for (let i = 1; i < sent.length; i++) {
    if (compactedAt.includes(i + 1)) continue;
    const [a, b] = [sent[i - 1]!.messages, sent[i]!.messages];
    assert.deepEqual(b.slice(0, a.length), a, `request ${i + 1} extends request ${i}`);
    assert.equal(sent[i]!.cache?.stableMessages, a.length);
  }
  assert.ok(
    sent.every((r) => r.messages[1]!.content === sent[0]!.messages[1]!.content),
    "the task never changes",
  );
});

test("max-time stops the run at the first step boundary past the wall-time budget", async () => {
  const { options } = setup(Array(20).fill({ toolCalls: [{ name: "list", args: {} }] }), {
    config: config({ maxTimeMs: 500 }),
  });
  const slow = options.model;
  const model = {
    ...slow,
    info: slow.info,
    step: async (request: ModelRequest, onEvent?: Parameters<typeof slow.step>[1]) => {
      await new Promise((resolve) => setTimeout(resolve, 100));
      return slow.step(request, onEvent);
    },
  };
  const result = await runLoop({ ...options, model });
  assert.equal(result.outcome, "budget");
  assert.match(result.reason, /max-time/);
  // Not before the budget is spent, and well before the script runs out (20 steps × 100 ms);
  // the exact count depends on how loaded the machine is, so it is not pinned.
  assert.ok(result.totals.elapsedMs >= 500, `stopped at ${result.totals.elapsedMs} ms`);
  assert.ok(result.steps >= 1 && result.steps < 20, `stopped after ${result.steps} steps`);
});

test("the handed-over patch leaves out changes to protected paths, as the clean room did", async () => {
  const editTest: ScriptedTurn = {
    toolCalls: [{ name: "write_file", args: { path: "test/add.test.js", content: "// weakened\n" } }],
  };
  const base = config();
  const { options } = setup([editTest, fixAdd, fixMul, done], {
    config: { ...base, verify: { ...base.verify, protect: ["test/**"] } },
  });
  const result = await runLoop(options);
  assert.equal(result.outcome, "verified");
  assert.match(result.patch, /src\/add\.js/);
  assert.doesNotMatch(result.patch, /test\/add\.test\.js/);
});
