// Public face of the loop: the engine, its events, and what resume needs.
export {
  type CompactionPlan,
  type ContextOptions,
  ConversationContext,
  type RenderedContext,
} from "./conversation-context.ts";
export { runLoop } from "./loop-engine.ts";
export type * from "./loop-events.ts";
export type { EventLog, LoopEnvironment, LoopOptions, LoopResult } from "./loop-options.ts";
export { restoreCheckpoint, type WorkspaceSandbox } from "./restore-checkpoint.ts";
export { planResume, type ResumePlan, readTrajectory, type Trajectory } from "./resume-plan.ts";
export { addUsage, type BudgetBreach, emptyTotals, RunBudget } from "./run-budget.ts";
export { type RunSummary, type StepPoint, summarizeRun } from "./run-summary.ts";
export {
  defaultStallThresholds,
  StallDetector,
  type StallSignal,
  type StallSnapshot,
  type StallThresholds,
} from "./stall-detector.ts";
export { defaultSystemPromptPath, loadSystemPrompt } from "./system-prompt.ts";
