// Part of `npm run bench -- loop`: how much of each request a provider's prompt cache can serve.
// The same 30-step scripted workload as the harness bench, but sent through the real provider
// packages (AI SDK) over HTTP to the loopback Anthropic and OpenAI servers, whose simulated caches
// count cached tokens the way the services do. Reports, per step and overall: the prefix shared
// with the previous request (provider-neutral), the share each provider's cache served, and the
// run's cost at list prices with and without caching (the baseline, measured in the same run).
import { type LoopEvent, type RunConfig, runLoop } from "../src/loop/index.ts";
import { createMemoryWorkspace } from "../src/loop/testing/memory-workspace.ts";
import {
  createModelClient,
  estimateUncachedCostUsd,
  type ModelClient,
  type ModelRequest,
  type ScriptedTurn,
} from "../src/model/index.ts";
import { startLoopbackAnthropicServer } from "../src/model/testing/loopback-anthropic-server.ts";
import { startLoopbackOpenAIServer } from "../src/model/testing/loopback-openai-server.ts";
import { commonPrefixLength } from "../src/model/testing/loopback-prompt-cache.ts";
import type { LoopbackReply, LoopbackServer } from "../src/model/testing/loopback-server.ts";
import { createToolset } from "../src/tools/index.ts";

export interface CacheWorkload {
  turns: ScriptedTurn[];
  files: Record<string, string>;
  failing: (files: Map<string, string>) => string[];
  config: RunConfig;
  systemPrompt: string;
}

interface ProviderRun {
  name: string;
  modelId: string;
  start: (replies: LoopbackReply[]) => Promise<LoopbackServer>;
  env: (baseURL: string) => Record<string, string>;
}

const providers: ProviderRun[] = [
  {
    name: "anthropic",
    modelId: "anthropic:claude-sonnet-4-5",
    start: startLoopbackAnthropicServer,
    env: (baseURL) => ({ ANTHROPIC_API_KEY: "bench", ANTHROPIC_BASE_URL: baseURL }),
  },
  {
    name: "openai",
    modelId: "openai:gpt-5",
    start: startLoopbackOpenAIServer,
    env: (baseURL) => ({ OPENAI_API_KEY: "bench", OPENAI_BASE_URL: baseURL }),
  },
];

function toReply(turn: ScriptedTurn): LoopbackReply {
  return {
    type: "stream",
    ...(turn.text ? { text: [turn.text] } : {}),
    toolCalls: (turn.toolCalls ?? []).map((call) => ({
      name: call.name,
      argsChunks: [JSON.stringify(call.args ?? {})],
    })),
  };
}

function recording(inner: ModelClient, sent: ModelRequest[]): ModelClient {
  return {
    info: inner.info,
    step: (request, onEvent) => {
      sent.push(request);
      return inner.step(request, onEvent);
    },
  };
}

/** Provider-neutral: the share of each request (tools + messages) repeated from the one before. */
function prefixReuse(sent: ModelRequest[]): { perStep: number[]; overall: number } {
  const texts = sent.map((r) => JSON.stringify([r.tools, ...r.messages]));
  let shared = 0;
  let total = 0;
  const perStep = texts.map((text, i) => {
    const common = i === 0 ? 0 : commonPrefixLength(texts[i - 1]!, text);
    shared += common;
    total += text.length;
    return common / text.length;
  });
  return { perStep, overall: shared / total };
}

async function runThrough(provider: ProviderRun, workload: CacheWorkload, contextWindow: number) {
  const server = await provider.start(workload.turns.map(toReply));
  try {
    const sent: ModelRequest[] = [];
    const inner = createModelClient(provider.modelId, {
      env: provider.env(server.baseURL),
      config: { contextWindows: { [provider.modelId]: contextWindow } },
    });
    const events: LoopEvent[] = [];
    const result = await runLoop({
      runId: "bench-cache",
      config: {
        ...workload.config,
        model: { ...workload.config.model, id: provider.modelId, contextWindow },
      },
      model: recording(inner, sent),
      tools: createToolset(),
      env: createMemoryWorkspace(workload.files, workload.failing),
      systemPrompt: workload.systemPrompt,
      stallThresholds: { repeat: 1e9, noChangeSteps: 1e9, noShrinkRuns: 1e9, oscillationReturns: 1e9 },
      onEvent: (e) => events.push(e),
    });
    const cached = server.requests.flatMap((r) =>
      r.cache ? [r.cache.cacheReadTokens / r.cache.inputTokens] : [],
    );
    const t = result.totals;
    return {
      reuse: prefixReuse(sent),
      cachedPerStep: cached,
      cachedOverall: t.cacheReadTokens / t.inputTokens,
      compactions: events.filter((e) => e.type === "context.compacted").length,
      inputTokens: t.inputTokens,
      costUsd: t.costUsd,
      costWithoutCacheUsd: estimateUncachedCostUsd(inner.info, t),
      steps: result.steps,
    };
  } finally {
    await server.close();
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export async function measurePromptCaching(workload: CacheWorkload, json: boolean) {
  const windows = [200_000, 16_000];
  const runs: Record<string, Awaited<ReturnType<typeof runThrough>>> = {};
  for (const window of windows)
    for (const provider of providers)
      runs[`${provider.name}@${window}`] = await runThrough(provider, workload, window);
  if (json) return runs;
  const wide = (name: string) => runs[name]!;
  console.log(
    `\nprompt caching: ${workload.turns.length}-step scripted run through the real provider packages to`,
  );
  console.log(
    "loopback servers whose caches count like the services (longest prefix shared with an earlier request)",
  );
  console.log(
    `\n${"step".padEnd(6)}${"prefix reuse".padStart(14)}${"anthropic cached".padStart(18)}${"openai cached".padStart(15)}   (200k window)`,
  );
  const a = wide("anthropic@200000");
  const o = wide("openai@200000");
  for (let i = 0; i < a.reuse.perStep.length; i++)
    console.log(
      `${String(i + 1).padEnd(6)}${pct(a.reuse.perStep[i]!).padStart(14)}${pct(a.cachedPerStep[i] ?? 0).padStart(18)}${pct(o.cachedPerStep[i] ?? 0).padStart(15)}`,
    );
  console.log(
    `\n${"run".padEnd(34)}${"reuse".padStart(8)}${"cached".padStart(9)}${"compactions".padStart(13)}${"cost cached".padStart(13)}${"uncached".padStart(11)}`,
  );
  for (const [name, r] of Object.entries(runs)) {
    const label = `${name.replace("@", " @ ").replace(/(\d+)000$/, "$1k")} window`;
    console.log(
      `${label.padEnd(34)}${pct(r.reuse.overall).padStart(8)}${pct(r.cachedOverall).padStart(9)}${String(r.compactions).padStart(13)}${`$${r.costUsd.toFixed(4)}`.padStart(13)}${`$${r.costWithoutCacheUsd.toFixed(4)}`.padStart(11)}`,
    );
  }
  console.log(
    "(list prices: Claude Sonnet 4.5 $3 in / $0.30 cache read / $3.75 cache write / $15 out; GPT-5 $1.25 / $0.125 / — / $10)",
  );
  return runs;
}
