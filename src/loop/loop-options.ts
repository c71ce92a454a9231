// What the loop is given and what it hands back: the shapes the CLI (or any other driver)
// builds a run from, kept apart from the engine that runs it.
import type { ModelClient } from "../model/index.ts";
import type { Tool } from "../tools/index.ts";
import type { VerifyResult } from "../verify/index.ts";
import type { LoopEvent, RunConfig, RunOutcome, Totals, VerifyReason } from "./loop-events.ts";
import type { WorkspaceSandbox } from "./restore-checkpoint.ts";
import type { ResumePlan } from "./resume-plan.ts";
import type { StallThresholds } from "./stall-detector.ts";

export interface LoopEnvironment {
  sandbox: WorkspaceSandbox;
  /** Verifies a candidate patch in a fresh sandbox built from the user's tree plus the patch. */
  verify(patch: string, previous?: VerifyResult, reason?: VerifyReason): Promise<VerifyResult>;
}

/** Where events go to last: the loop syncs it at every step boundary. */
export interface EventLog {
  append(event: LoopEvent): void;
  sync(): void;
}

export interface LoopOptions {
  runId: string;
  config: RunConfig;
  model: ModelClient;
  tools: Tool[];
  env: LoopEnvironment;
  systemPrompt: string;
  log?: EventLog;
  onEvent?: (event: LoopEvent) => void;
  maxOutputTokens?: number;
  stallThresholds?: StallThresholds;
  /** Overrides the context budget derived from the model's window. */
  contextBudgetTokens?: number;
  keepRecentSteps?: number;
  resume?: ResumePlan;
  signal?: AbortSignal;
}

export interface LoopResult {
  runId: string;
  outcome: RunOutcome;
  verified: boolean;
  reason: string;
  steps: number;
  totals: Totals;
  patch: string;
  failuresBefore: number | null;
  failuresAfter: number | null;
}
