// Everything a run does, as typed events. The store appends them, the CLI renders them,
// and resume rebuilds a run from them: `step.finished` is the commit record of a step.
import type { ToolCall, Usage } from "../model/index.ts";
import type { Progress, TamperFinding, TestStatusChange, Verdict } from "../verify/index.ts";
import type { StallSnapshot } from "./stall-detector.ts";

export type RunOutcome = "verified" | "budget" | "stall" | "out-of-turns" | "model-error" | "interrupted";

export type BudgetName = "steps" | "tokens" | "cost" | "time";
export type StallKind = "no-shrink" | "oscillation" | "no-change" | "repeat";
export type StallAction = "nudge" | "rollback" | "stop";
export type VerifyReason = "baseline" | "verify-tool" | "done-claim";

export interface Budgets {
  maxSteps: number;
  maxTokens?: number;
  maxCostUsd?: number;
  maxTimeMs?: number;
}

export interface Totals {
  /** Every input token sent, cached or not. */
  inputTokens: number;
  outputTokens: number;
  /** Of inputTokens, read from the provider's prompt cache (0 in logs from before cache accounting). */
  cacheReadTokens: number;
  /** Of inputTokens, written to the provider's prompt cache. */
  cacheWriteTokens: number;
  /** As billed: cached input at the cache prices; failed attempts the provider may bill included. */
  costUsd: number;
  /** Active time across every process that worked on the run (resume adds to it). */
  elapsedMs: number;
  modelCalls: number;
}

export interface RunConfig {
  task: string;
  workspace: string;
  model: { id: string; label: string; contextWindow: number };
  verify: {
    commands: string[];
    /** Every protected glob (the user's and the derived ones); changes to them never count. */
    protect: string[];
    /** Protected paths the user lets the model change (--allow-edit). */
    allowEdit?: string[];
    hidden: number;
    timeoutMs?: number;
  };
  budgets: Budgets;
  /** What the CLI needs to rebuild the run on resume (sandbox backend, hidden commands …). */
  launch: Record<string, unknown>;
}

type Base = { runId: string; at: number };

type EventBody =
  | { type: "run.started"; config: RunConfig }
  | { type: "run.resumed"; fromStep: number; discardedEvents: number }
  | { type: "step.started"; step: number }
  | {
      type: "model.request";
      step: number;
      messages: number;
      estimatedTokens: number;
      /** Steps shown only in the compacted summary. */
      elidedSteps: number;
      /** Leading messages byte-identical to the previous request's (what a provider cache can serve). */
      stableMessages?: number;
    }
  | {
      type: "model.retry";
      step: number;
      attempt: number;
      delayMs: number;
      reason: string;
      /** What the failed attempt may have cost (the provider's counts, or estimated). */
      usage?: Usage;
      costUsd?: number;
      usageEstimated?: boolean;
    }
  | {
      type: "model.response";
      step: number;
      text: string;
      toolCalls: ToolCall[];
      usage: Usage;
      costUsd: number;
      finishReason: string;
    }
  | {
      type: "model.error";
      step: number;
      kind: string;
      message: string;
      usage?: Usage;
      costUsd?: number;
      usageEstimated?: boolean;
    }
  | { type: "tool.call"; step: number; call: ToolCall }
  | {
      type: "tool.result";
      step: number;
      callId: string;
      name: string;
      content: string;
      isError: boolean;
      mutated: boolean;
      durationMs: number;
    }
  | { type: "verify.started"; step: number; reason: VerifyReason }
  | {
      type: "verify.verdict";
      step: number;
      reason: VerifyReason;
      verdict: Verdict;
      cleanRoom: boolean;
      failingCount: number;
      fingerprint: string;
      text: string;
      restoredProtected: string[];
      patchHash: string;
      durationMs: number;
      /** The baseline witness: each test that failed at baseline (or was named) and its status now. */
      failToPass?: TestStatusChange[];
      passToPass?: TestStatusChange[];
      /** Tests whose status flipped between clean-room runs of the same tree. */
      flaky?: string[];
      progress?: Progress;
      /** Lines of the patch that change how tests judge, from code under test (never verified). */
      tampering?: TamperFinding[];
    }
  | { type: "done.claimed"; step: number; summary: string; accepted: boolean }
  | { type: "checkpoint.saved"; step: number; hash: string; patch: string; files: string[] }
  | { type: "checkpoint.restored"; step: number; hash: string; fromStep: number; failingCount: number }
  | { type: "stall.detected"; step: number; kind: StallKind; action: StallAction; detail: string }
  | { type: "context.note"; step: number; text: string }
  | {
      /** The conversation was shrunk once, here: steps up to `throughStep` became one summary. */
      type: "context.compacted";
      step: number;
      throughStep: number;
      tokensBefore: number;
      tokensAfter: number;
    }
  | { type: "budget.exhausted"; step: number; budget: BudgetName; limit: number; used: number }
  | {
      type: "step.finished";
      step: number;
      changed: boolean;
      workspaceHash: string;
      totals: Totals;
      stall: StallSnapshot;
    }
  | {
      type: "run.finished";
      outcome: RunOutcome;
      verified: boolean;
      reason: string;
      steps: number;
      totals: Totals;
      failuresBefore: number | null;
      failuresAfter: number | null;
      patchHash: string;
    };

export type LoopEvent = Base & EventBody;
export type LoopEventType = LoopEvent["type"];
export type LoopEventOf<T extends LoopEventType> = Extract<LoopEvent, { type: T }>;
/** An event before the loop stamps it with the run id and time. */
export type LoopEventInput = EventBody;
