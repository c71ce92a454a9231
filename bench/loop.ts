// `npm run bench -- loop [--json]`: what the loop itself costs. A 30-step run with the
// scripted model (no LLM) over an in-memory workspace (a sandbox-shaped object, NOT a sandbox:
// its tools are instant, so only the harness is measured), against a bare baseline measured
// in the same run: the same model calls and tool calls with no context management, events,
// checkpoints or stall detection. Also: context tokens per step, which must stay bounded, and
// (bench/loop-cache.ts) how much of each request a provider's prompt cache serves, and the cost.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { type LoopEvent, loadSystemPrompt, type RunConfig, runLoop } from "../src/loop/index.ts";
import { createMemoryWorkspace } from "../src/loop/testing/memory-workspace.ts";
import {
  type ChatMessage,
  createScriptedModelClient,
  type ModelClient,
  type ScriptedTurn,
} from "../src/model/index.ts";
import { estimateTokens } from "../src/signals/index.ts";
import { RunStore } from "../src/store/index.ts";
import { createToolset, runToolCall, type ToolContext } from "../src/tools/index.ts";
import { measurePromptCaching } from "./loop-cache.ts";

const steps = 30;
const contextWindow = 16_000;
const lines = 40;
const source = Array.from(
  { length: lines },
  (_, i) => `export const value${i} = 0; // a line of realistic width`,
).join("\n");

function turns(): ScriptedTurn[] {
  return Array.from({ length: steps }, (_, i) => ({
    text: `Step ${i + 1}: reading the module again and changing value${i % lines}.`,
    toolCalls: [
      { name: "read_file", args: { path: "src/values.js" } },
      {
        name: "edit_file",
        args: {
          path: "src/values.js",
          oldText: `value${i % lines} = ${Math.floor(i / lines)};`,
          newText: `value${i % lines} = ${Math.floor(i / lines) + 1};`,
        },
      },
      ...(i % 5 === 4 ? [{ name: "verify", args: {} }] : []),
    ],
  }));
}

const config: RunConfig = {
  task: "Set every value to 1 (bench workload).",
  workspace: "/memory/workspace",
  model: { id: "scripted:bench", label: "scripted (no LLM)", contextWindow },
  verify: { commands: ["(in memory)"], protect: [], hidden: 0 },
  budgets: { maxSteps: steps },
  launch: {},
};
const neverStall = { repeat: 1e9, noChangeSteps: 1e9, noShrinkRuns: 1e9, oscillationReturns: 1e9 };

function timedModel(inner: ModelClient, clock: { ms: number }): ModelClient {
  return {
    info: inner.info,
    async step(request, onEvent) {
      const t = performance.now();
      const result = await inner.step(request, onEvent);
      clock.ms += performance.now() - t;
      return result;
    },
  };
}

const failing = (files: Map<string, string>) =>
  (files.get("src/values.js") ?? "").includes("= 0;") ? ["not all 1"] : [];

async function measureLoop(withStore: boolean) {
  const workspace = createMemoryWorkspace({ "src/values.js": `${source}\n` }, failing);
  const clock = { ms: 0 };
  const model = timedModel(createScriptedModelClient({ turns: turns(), contextWindow }), clock);
  const tokens: number[] = [];
  const dir = withStore ? mkdtempSync(join(tmpdir(), "closedloop-bench-")) : undefined;
  const store = dir ? new RunStore(dir) : undefined;
  const log = store?.create("bench");
  const started = performance.now();
  await runLoop({
    runId: "bench",
    config,
    model,
    tools: createToolset(),
    env: workspace,
    systemPrompt: "You are a bench.",
    stallThresholds: neverStall,
    ...(log ? { log: { append: (e: LoopEvent) => log.append(e), sync: () => log.sync() } } : {}),
    onEvent: (e) => {
      if (e.type === "model.request") tokens.push(e.estimatedTokens);
    },
  });
  const total = performance.now() - started;
  log?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  return { msPerStep: (total - clock.ms) / steps, tokens };
}

/** The same calls with nothing around them: full history, no events, no checkpoints. */
async function measureBare() {
  const workspace = createMemoryWorkspace({ "src/values.js": `${source}\n` }, failing);
  const clock = { ms: 0 };
  const model = timedModel(createScriptedModelClient({ turns: turns(), contextWindow }), clock);
  const tools = createToolset();
  const definitions = tools.map((t) => t.definition);
  const context: ToolContext = {
    sandbox: workspace.sandbox,
    runVerifier: async () => ({
      content: (await workspace.verify(await workspace.sandbox.diff())).text,
      isError: true,
    }),
    claimDone: async () => ({ content: "", isError: true }),
  };
  const messages: ChatMessage[] = [
    { role: "system", content: "You are a bench." },
    { role: "user", content: config.task },
  ];
  const tokens: number[] = [];
  const started = performance.now();
  for (let i = 0; i < steps; i++) {
    tokens.push(
      messages.reduce((n, m) => n + estimateTokens(m.content), estimateTokens(JSON.stringify(definitions))),
    );
    const result = await model.step({ messages, tools: definitions });
    if (!result.ok) throw new Error(result.error.message);
    messages.push({ role: "assistant", content: result.response.text, toolCalls: result.response.toolCalls });
    for (const call of result.response.toolCalls) {
      const out = await runToolCall(tools, call, context);
      messages.push({ role: "tool", toolCallId: call.id, toolName: call.name, content: out.content });
    }
  }
  return { msPerStep: (performance.now() - started - clock.ms) / steps, tokens };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x * 1000) / 1000;

export async function main(args: string[]): Promise<void> {
  await measureLoop(false); // warm-up (JIT, module loading)
  await measureBare();
  const bare: number[] = [];
  const loop: number[] = [];
  const stored: number[] = [];
  let tokens: number[] = [];
  let naive: number[] = [];
  for (let i = 0; i < 7; i++) {
    const b = await measureBare();
    const l = await measureLoop(false);
    const s = await measureLoop(true);
    bare.push(b.msPerStep);
    loop.push(l.msPerStep);
    stored.push(s.msPerStep);
    tokens = l.tokens;
    naive = b.tokens;
  }
  const result = {
    steps,
    contextWindow,
    bareMsPerStep: round(median(bare)),
    loopMsPerStep: round(median(loop)),
    overheadMsPerStep: round(Math.max(0, median(loop) - median(bare))),
    overheadMsPerStepWithStore: round(Math.max(0, median(stored) - median(bare))),
    tokensPerStepFirst: tokens[0]!,
    tokensPerStepLast: tokens.at(-1)!,
    tokensPerStepMax: Math.max(...tokens),
    naiveTokensPerStepLast: naive.at(-1)!,
    tokensPerStep: tokens,
  };
  const workload = {
    turns: turns(),
    files: { "src/values.js": `${source}\n` },
    failing,
    config,
    // The real system prompt: its size decides how much a cache can serve; a stub would flatter.
    systemPrompt: loadSystemPrompt(),
  };
  if (args.includes("--json")) {
    console.log(JSON.stringify({ ...result, promptCaching: await measurePromptCaching(workload, true) }));
    return;
  }
  console.log(
    `loop bench: ${steps} steps, scripted model (no LLM), in-memory workspace (instant tools, not a sandbox)`,
  );
  console.log(`medians of 7 runs; model time excluded; context window ${contextWindow} tokens\n`);
  const row = (name: string, value: string, note = "") =>
    console.log(`${name.padEnd(44)}${value.padStart(10)}  ${note}`);
  row("bare: the same model + tool calls", `${result.bareMsPerStep} ms`, "per step (baseline)");
  row("closedloop loop", `${result.loopMsPerStep} ms`, "per step");
  row("harness overhead", `${result.overheadMsPerStep} ms`, "per step (target ≤ 5 ms)");
  row("harness overhead with JSONL store + fsync", `${result.overheadMsPerStepWithStore} ms`, "per step");
  console.log("\ncontext tokens sent per step");
  const picks = [1, 5, 10, 15, 20, 25, 30];
  console.log(`${"step".padEnd(28)}${picks.map((p) => String(p).padStart(8)).join("")}`);
  console.log(
    `${"naive full history".padEnd(28)}${picks.map((p) => String(naive[p - 1]).padStart(8)).join("")}`,
  );
  console.log(
    `${"closedloop (managed)".padEnd(28)}${picks.map((p) => String(tokens[p - 1]).padStart(8)).join("")}`,
  );
  await measurePromptCaching(workload, false);
}
