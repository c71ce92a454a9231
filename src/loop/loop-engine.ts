// The closed loop, in one sitting: render the context, ask the model, run each tool call in the
// sandbox, fold what came back into the context, checkpoint, check for a stall, repeat. The run
// ends only through a RunStop (verified, budget, stall, out of turns, model error, interrupted);
// "verified" is reachable only from a passing clean-room verdict, never from the model's word.
import type { ModelResponse, ToolCall } from "../model/index.ts";
import { hashPatch, patchFiles, patchPaths } from "../patch/index.ts";
import { estimateTokens } from "../signals/index.ts";
import { runToolCall, type ToolContext, toolDefinitions } from "../tools/index.ts";
import {
  describeProtectedChange,
  filterProtectedPatch,
  formatProgress,
  type Protection,
  type VerifyResult,
} from "../verify/index.ts";
import { askModel, callSignal } from "./ask-model.ts";
import { CheckpointBook } from "./checkpoint-book.ts";
import { ConversationContext } from "./conversation-context.ts";
import type { LoopEvent, LoopEventInput, VerifyReason } from "./loop-events.ts";
import {
  describeBreach,
  doneAnswer,
  noToolCallNote,
  rollbackNote,
  stallNudge,
  verifierObservation,
} from "./loop-messages.ts";
import type { LoopOptions, LoopResult } from "./loop-options.ts";
import { restoreCheckpoint } from "./restore-checkpoint.ts";
import type { ResumePlan } from "./resume-plan.ts";
import { type BudgetBreach, RunBudget } from "./run-budget.ts";
import { interruptedReason, RunStop, verifiedReason } from "./run-stop.ts";
import { defaultStallThresholds, StallDetector, type StallSignal } from "./stall-detector.ts";

export async function runLoop(options: LoopOptions): Promise<LoopResult> {
  return new ClosedLoop(options).run();
}

class ClosedLoop {
  private readonly context: ConversationContext;
  private readonly budget: RunBudget;
  private readonly stall: StallDetector;
  private readonly checkpoints = new CheckpointBook();
  private readonly maxOutputTokens: number;
  private step = 0;
  private stepOpen = false;
  private stepChanged = false;
  private workspaceHash = CheckpointBook.emptyHash;
  private lastVerify: VerifyResult | undefined;
  private failuresBefore: number | null = null;
  private failuresAfter: number | null = null;
  private passed = false;
  private readonly protection: Protection;
  /** Protected paths the model was already told about (so a note is said once). */
  private readonly toldProtected = new Set<string>();

  constructor(private readonly o: LoopOptions) {
    const window = o.model.info.contextWindow;
    this.maxOutputTokens = o.maxOutputTokens ?? Math.min(8192, Math.floor(window / 4));
    this.context = new ConversationContext(o.systemPrompt, {
      // The tool schemas travel with every request, so they come out of the same window.
      budgetTokens:
        o.contextBudgetTokens ??
        Math.floor(window * 0.6) -
          this.maxOutputTokens -
          estimateTokens(JSON.stringify(toolDefinitions(o.tools))),
      keepRecentSteps: o.keepRecentSteps ?? 6,
    });
    this.budget = new RunBudget(o.config.budgets, o.resume?.totals);
    this.stall = new StallDetector(o.stallThresholds ?? defaultStallThresholds, o.resume?.stall);
    this.protection = { protect: o.config.verify.protect, allowEdit: o.config.verify.allowEdit ?? [] };
  }

  async run(): Promise<LoopResult> {
    try {
      if (this.o.resume) {
        await this.resume(this.o.resume);
        if (this.passed) throw new RunStop("verified", verifiedReason);
      } else {
        this.emit({ type: "run.started", config: this.o.config });
        const baseline = await this.verify("baseline");
        this.failuresBefore = baseline.failingCount;
        this.o.log?.sync();
      }
      for (;;) await this.runStep(this.step + 1);
    } catch (error) {
      if (error instanceof RunStop) return this.finish(error);
      throw error;
    }
  }

  /** One step: ask the model, run its tool calls, checkpoint, check for a stall. */
  private async runStep(step: number): Promise<void> {
    if (this.o.signal?.aborted) throw new RunStop("interrupted", interruptedReason);
    const breach = this.budget.checkBeforeStep(step);
    if (breach) this.exhausted(breach);
    this.step = step;
    this.stepOpen = true;
    this.stepChanged = false;
    this.emit({ type: "step.started", step });

    const response = await this.askModel(step);
    if (response.toolCalls.length === 0) this.note(noToolCallNote);
    let mutated = false;
    for (const call of response.toolCalls) mutated = (await this.runTool(step, call)) || mutated;
    if (mutated) await this.checkpoint();
    this.stall.recordWorkspace(this.workspaceHash);
    const signal = this.stall.endStep();
    if (signal) await this.onStall(signal);
    this.finishStep();
  }

  private askModel(step: number): Promise<ModelResponse> {
    return askModel(
      {
        options: this.o,
        context: this.context,
        budget: this.budget,
        maxOutputTokens: this.maxOutputTokens,
        emit: (input) => this.emit(input),
        exhausted: (breach) => this.exhausted(breach),
      },
      step,
    );
  }

  /** Runs one tool call; true when it may have changed the workspace. */
  private async runTool(step: number, call: ToolCall): Promise<boolean> {
    this.emit({ type: "tool.call", step, call });
    const started = performance.now();
    const outcome = await runToolCall(this.o.tools, call, this.toolContext());
    const mutated = outcome.mutated ?? false;
    this.emit({
      type: "tool.result",
      step,
      callId: call.id,
      name: call.name,
      content: outcome.content,
      isError: outcome.isError,
      mutated,
      durationMs: Math.round(performance.now() - started),
    });
    this.stall.recordToolResult(call.name, call.args, outcome.content);
    if (this.passed) throw new RunStop("verified", verifiedReason);
    return mutated;
  }

  private toolContext(): ToolContext {
    return {
      sandbox: this.o.env.sandbox,
      signal: callSignal(this.budget, this.o.signal),
      runVerifier: async () => verifierObservation(await this.verify("verify-tool")),
      claimDone: async (summary) => {
        const verdict = await this.verify("done-claim");
        this.emit({ type: "done.claimed", step: this.step, summary, accepted: verdict.verdict === "pass" });
        return doneAnswer(verdict);
      },
      protectedChange: (paths) => describeProtectedChange(this.protection, paths),
    };
  }

  /** Runs the verifier on the current diff; a pass in the clean room marks the run verified. */
  private async verify(reason: VerifyReason): Promise<VerifyResult> {
    const patch = await this.o.env.sandbox.diff();
    const hash = hashPatch(patch);
    if (!this.checkpoints.has(hash)) this.saveCheckpoint(hash, patch);
    this.emit({ type: "verify.started", step: this.step, reason });
    const started = performance.now();
    const result = await this.o.env.verify(patch, this.lastVerify, reason);
    this.lastVerify = result;
    this.emit({
      type: "verify.verdict",
      step: this.step,
      reason,
      verdict: result.verdict,
      cleanRoom: result.cleanRoom,
      failingCount: result.failingCount,
      fingerprint: result.fingerprint,
      text: result.text,
      restoredProtected: result.restoredProtected,
      patchHash: hash,
      durationMs: Math.round(performance.now() - started),
      ...(result.witness
        ? {
            failToPass: result.witness.failToPass,
            passToPass: result.witness.passToPass,
            flaky: result.witness.flaky,
          }
        : {}),
      ...(result.progress ? { progress: result.progress } : {}),
      ...(result.tampering?.length ? { tampering: result.tampering } : {}),
    });
    this.checkpoints.scoreVerdict(hash, result.failingCount, this.step, result.progress);
    this.failuresAfter = result.failingCount;
    // A crash or an unreadable run is never "fewer failures than ever".
    const parsed = !result.progress || result.progress.status === "parsed";
    this.stall.recordVerdict(parsed ? result.failingCount : Number.MAX_SAFE_INTEGER, result.fingerprint);
    if (result.verdict === "pass" && result.cleanRoom && reason !== "baseline") this.passed = true;
    return result;
  }

  private async checkpoint(): Promise<void> {
    const patch = await this.o.env.sandbox.diff();
    const hash = hashPatch(patch);
    if (hash === this.workspaceHash) return;
    this.stepChanged = true;
    this.workspaceHash = hash;
    this.noteProtectedChanges(patch);
    if (!this.checkpoints.has(hash)) this.saveCheckpoint(hash, patch);
  }

  /** A shell command that changed a protected file is told so at once (write/edit refuse). */
  private noteProtectedChanges(patch: string): void {
    let paths: string[];
    try {
      paths = patchPaths(patch).filter((path) => !this.toldProtected.has(path));
    } catch {
      return;
    }
    const note = describeProtectedChange(this.protection, paths);
    if (!note) return;
    for (const path of paths) this.toldProtected.add(path);
    this.note(`The last command changed protected files. ${note}`);
  }

  private saveCheckpoint(hash: string, patch: string): void {
    this.checkpoints.add({ hash, patch, step: this.step });
    this.emit({ type: "checkpoint.saved", step: this.step, hash, patch, files: patchFiles(patch) });
  }

  private async onStall(signal: StallSignal): Promise<void> {
    this.emit({ type: "stall.detected", step: this.step, ...signal });
    if (signal.action === "nudge") {
      this.note(stallNudge(signal));
      return;
    }
    const best = await this.rollbackToBest();
    if (signal.action === "stop")
      throw new RunStop(
        "stall",
        `stall: ${signal.detail}; stopped and rolled back to the best checkpoint (${best})`,
      );
    this.note(rollbackNote(signal, best));
  }

  /** Back to the best checkpoint: most baseline failures fixed, no baseline pass broken, never a crash. */
  private async rollbackToBest(): Promise<string> {
    const best = this.checkpoints.best()!; // the baseline verdict always exists
    await restoreCheckpoint(this.o.env.sandbox, best.patch);
    this.stepChanged = this.workspaceHash !== best.hash;
    this.workspaceHash = best.hash;
    this.stall.recordRollback(best.hash);
    this.emit({
      type: "checkpoint.restored",
      step: this.step,
      hash: best.hash,
      fromStep: best.verifiedAt,
      failingCount: best.failingCount,
    });
    const from = best.verifiedAt === 0 ? "the original tree" : `from step ${best.verifiedAt}`;
    return `${from}, ${formatProgress(best.progress)}`;
  }

  private finishStep(): void {
    if (!this.stepOpen) return;
    this.stepOpen = false;
    this.emit({
      type: "step.finished",
      step: this.step,
      changed: this.stepChanged,
      workspaceHash: this.workspaceHash,
      totals: this.budget.totals,
      stall: this.stall.snapshot(),
    });
    this.o.log?.sync();
  }

  private async finish(stop: RunStop): Promise<LoopResult> {
    this.finishStep();
    const verified = stop.outcome === "verified";
    const patch = this.handoverPatch(await this.o.env.sandbox.diff());
    const result: LoopResult = {
      runId: this.o.runId,
      outcome: stop.outcome,
      verified,
      reason: stop.reason,
      steps: this.step,
      totals: this.budget.totals,
      patch,
      failuresBefore: this.failuresBefore,
      failuresAfter: verified ? 0 : this.failuresAfter,
    };
    const { runId: _runId, patch: _patch, ...summary } = result;
    this.emit({ type: "run.finished", ...summary, patchHash: hashPatch(patch) });
    this.o.log?.sync();
    return result;
  }

  /** What the user gets is what the clean room judged: changes to protected paths are left out. */
  private handoverPatch(diff: string): string {
    try {
      return filterProtectedPatch(diff, this.protection).patch;
    } catch {
      return diff; // unreadable as a patch: the clean room said "error", so it is never applied
    }
  }

  private exhausted(breach: BudgetBreach): never {
    this.emit({ type: "budget.exhausted", step: this.step, ...breach });
    throw new RunStop("budget", describeBreach(breach));
  }

  private note(text: string): void {
    this.emit({ type: "context.note", step: this.step, text });
  }

  private async resume(plan: ResumePlan): Promise<void> {
    for (const event of plan.events) {
      this.context.apply(event);
      this.checkpoints.replay(event);
      if (event.type !== "verify.verdict") continue;
      this.failuresAfter = event.failingCount;
      if (event.reason === "baseline") this.failuresBefore = event.failingCount;
      // A clean-room pass ends the run in its step; a process that died after committing
      // that step but before run.finished left a verified run, which ends so on resume.
      else if (event.verdict === "pass" && event.cleanRoom) this.passed = true;
    }
    this.step = plan.lastStep;
    this.workspaceHash = plan.workspaceHash;
    const checkpoint = this.checkpoints.get(plan.workspaceHash);
    if (!checkpoint)
      throw new Error(`resume: no checkpoint with hash ${plan.workspaceHash} in the event log`);
    await restoreCheckpoint(this.o.env.sandbox, checkpoint.patch);
    this.o.model.resumeAfter?.(plan.totals?.modelCalls ?? 0);
    this.emit({ type: "run.resumed", fromStep: plan.lastStep + 1, discardedEvents: plan.discardedEvents });
    if (!plan.events.some((e) => e.type === "verify.verdict" && e.reason === "baseline")) {
      this.failuresBefore = (await this.verify("baseline")).failingCount;
    }
    this.o.log?.sync();
  }

  private emit(input: LoopEventInput): void {
    const event = { ...input, runId: this.o.runId, at: Date.now() } as LoopEvent;
    this.o.log?.append(event);
    if (event.type !== "run.resumed") this.context.apply(event);
    this.o.onEvent?.(event);
  }
}
