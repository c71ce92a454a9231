// A run folded from its events into what a listing or an MCP answer shows: one row (task,
// model, outcome, steps, cost, time) and one point per step (failing tests, tokens and cost so
// far, context use). Works on a run still being written: whatever has arrived is summarized.
import type { LoopEvent, RunOutcome } from "./loop-events.ts";

export interface RunSummary {
  id: string;
  task: string;
  model: string;
  workspace: string;
  startedAt: number;
  /** Time of the last event seen. */
  lastEventAt: number;
  status: "running" | "finished";
  outcome?: RunOutcome;
  verified?: boolean;
  reason?: string;
  steps: number;
  maxSteps: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  elapsedMs: number;
  failingBefore: number | null;
  failingNow: number | null;
  contextWindow: number;
}

export interface StepPoint {
  step: number;
  /** Failing checks after the latest verdict at or before this step (null: none yet). */
  failing: number | null;
  /** Cumulative. */
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** Estimated tokens of the prompt sent at this step. */
  contextTokens: number;
}

export function summarizeRun(
  id: string,
  events: readonly LoopEvent[],
): { summary: RunSummary; points: StepPoint[] } {
  const summary: RunSummary = {
    id,
    task: "",
    model: "",
    workspace: "",
    startedAt: events[0]?.at ?? 0,
    lastEventAt: events.at(-1)?.at ?? 0,
    status: "running",
    steps: 0,
    maxSteps: 0,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: 0,
    elapsedMs: 0,
    failingBefore: null,
    failingNow: null,
    contextWindow: 0,
  };
  const points = new Map<number, StepPoint>();
  const point = (step: number): StepPoint => {
    let p = points.get(step);
    if (!p) {
      p = {
        step,
        failing: summary.failingNow,
        inputTokens: summary.inputTokens,
        outputTokens: summary.outputTokens,
        costUsd: summary.costUsd,
        contextTokens: 0,
      };
      points.set(step, p);
    }
    return p;
  };
  for (const event of events) {
    switch (event.type) {
      case "run.started":
        summary.task = event.config.task;
        summary.model = event.config.model.label;
        summary.workspace = event.config.workspace;
        summary.maxSteps = event.config.budgets.maxSteps;
        summary.contextWindow = event.config.model.contextWindow;
        break;
      case "model.request":
        point(event.step).contextTokens = event.estimatedTokens;
        break;
      case "model.response":
        summary.inputTokens += event.usage.inputTokens;
        summary.outputTokens += event.usage.outputTokens;
        summary.costUsd += event.costUsd;
        Object.assign(point(event.step), {
          inputTokens: summary.inputTokens,
          outputTokens: summary.outputTokens,
          costUsd: summary.costUsd,
        });
        break;
      case "verify.verdict":
        if (event.reason === "baseline") summary.failingBefore = event.failingCount;
        summary.failingNow = event.failingCount;
        if (event.step > 0) point(event.step).failing = event.failingCount;
        break;
      case "step.finished":
        // The step's totals are the books (they count failed attempts a provider may bill, too).
        summary.steps = Math.max(summary.steps, event.step);
        summary.elapsedMs = event.totals.elapsedMs;
        summary.inputTokens = event.totals.inputTokens;
        summary.outputTokens = event.totals.outputTokens;
        summary.costUsd = event.totals.costUsd;
        Object.assign(point(event.step), {
          inputTokens: summary.inputTokens,
          outputTokens: summary.outputTokens,
          costUsd: summary.costUsd,
        });
        break;
      case "run.finished":
        summary.status = "finished";
        summary.outcome = event.outcome;
        summary.verified = event.verified;
        summary.reason = event.reason;
        summary.steps = event.steps;
        summary.inputTokens = event.totals.inputTokens;
        summary.outputTokens = event.totals.outputTokens;
        summary.costUsd = event.totals.costUsd;
        summary.elapsedMs = event.totals.elapsedMs;
        if (event.failuresAfter !== null) summary.failingNow = event.failuresAfter;
        break;
      default:
        break;
    }
  }
  return { summary, points: [...points.values()].sort((a, b) => a.step - b.step) };
}
