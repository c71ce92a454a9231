// What the model sees, rebuilt from the run's own events so a resumed run sends exactly the
// bytes the original would have. The conversation only grows by appending: the system prompt
// and the task come first and never change, and each step adds its messages at the end, so
// every request repeats the previous one as a prefix and a provider's prompt cache serves it.
// When the next request would not fit the budget, the conversation is compacted once (a
// `context.compacted` event): older steps become one summary message after the task, the
// newest steps stay whole, and growth by appending starts again — one cache miss per
// compaction, not one per step. The task is always there, and so are the latest verifier
// failures: if the step that carried them is compacted, they are pinned in the summary.
import type { ChatMessage } from "../model/index.ts";
import { estimateTokens } from "../signals/index.ts";
import { clipMessage, clipText, messageTokens, summarizeStep } from "./context-summary.ts";
import type { LoopEvent } from "./loop-events.ts";

export interface ContextOptions {
  /** Tokens the rendered messages may use (the model's window minus room to answer). */
  budgetTokens: number;
  /** At a compaction, at most this many of the newest steps stay whole. */
  keepRecentSteps: number;
}

export interface RenderedContext {
  messages: ChatMessage[];
  estimatedTokens: number;
  /** Steps shown only in the compacted summary. */
  elidedSteps: number;
  /** Leading messages identical to the previous request's: what a prompt cache can serve. */
  stableMessages: number;
}

export interface CompactionPlan {
  throughStep: number;
  tokensBefore: number;
  tokensAfter: number;
}

interface StepEntry {
  step: number;
  messages: ChatMessage[];
  tokens: number;
}

interface Compaction {
  /** The step whose request first carried this summary. */
  atStep: number;
  throughStep: number;
  message: ChatMessage;
  tokens: number;
}

// Shares of the budget: one step may fill at most `stepShare` (larger outputs are clipped as
// they arrive), a summary at most `summaryShare`, and a compaction leaves the conversation at
// `afterCompactionShare` so that many steps can be appended before the next one.
const stepShare = 0.35;
const summaryShare = 0.2;
const pinnedShare = 0.1;
const afterCompactionShare = 0.6;

export class ConversationContext {
  private task = "";
  private baseline = "";
  private latestFailures: { step: number; text: string } | undefined;
  private readonly steps: StepEntry[] = [];
  private compaction: Compaction | undefined;
  /** Summary lines of every compacted step, oldest first (the summary shows the newest that fit). */
  private readonly summaryLines: string[] = [];
  private currentStep = 0;

  constructor(
    private readonly systemPrompt: string,
    private readonly options: ContextOptions,
  ) {}

  /** Folds one event into the conversation; events that do not change it are ignored. */
  apply(event: LoopEvent): void {
    switch (event.type) {
      case "run.started":
        this.task = event.config.task;
        break;
      case "step.started":
        this.currentStep = event.step;
        break;
      case "verify.verdict":
        if (event.reason === "baseline") this.baseline = event.text;
        else
          this.latestFailures = event.verdict === "pass" ? undefined : { step: event.step, text: event.text };
        break;
      case "model.response":
        this.push(event.step, { role: "assistant", content: event.text, toolCalls: event.toolCalls });
        break;
      case "tool.result":
        this.push(event.step, {
          role: "tool",
          toolCallId: event.callId,
          toolName: event.name,
          content: event.content,
          isError: event.isError,
        });
        break;
      case "context.note":
        this.push(event.step, { role: "user", content: event.text });
        break;
      case "context.compacted":
        this.compact(event.throughStep, event.step);
        break;
      default:
        break;
    }
  }

  /** Before a model call: undefined when the conversation fits, else where to compact it. */
  planCompaction(): CompactionPlan | undefined {
    const tokensBefore = this.totalTokens();
    if (tokensBefore <= this.options.budgetTokens) return undefined;
    const shown = this.shownSteps();
    if (shown.length < 2) return undefined; // only the latest step left: it is clipped to fit already
    const room =
      Math.floor(this.options.budgetTokens * afterCompactionShare) -
      this.headTokens() -
      Math.floor(this.options.budgetTokens * (summaryShare + pinnedShare));
    let kept = 0;
    let keptTokens = 0;
    for (let i = shown.length - 1; i >= 0; i--) {
      const entry = shown[i]!;
      const fits = kept === 0 || (kept < this.options.keepRecentSteps && keptTokens + entry.tokens <= room);
      if (!fits) break;
      kept += 1;
      keptTokens += entry.tokens;
    }
    const throughStep = shown[shown.length - kept - 1]!.step;
    const summary = this.summaryFor(throughStep);
    return { throughStep, tokensBefore, tokensAfter: this.headTokens() + summary.tokens + keptTokens };
  }

  render(): RenderedContext {
    const messages: ChatMessage[] = [
      { role: "system", content: this.systemPrompt },
      { role: "user", content: this.taskMessage() },
    ];
    if (this.compaction) messages.push(this.compaction.message);
    // The previous request (one step ago) had everything up to two steps ago.
    let stableMessages = this.compaction?.atStep === this.currentStep ? 2 : messages.length;
    for (const entry of this.shownSteps()) {
      messages.push(...entry.messages);
      if (entry.step < this.currentStep - 1 && stableMessages === messages.length - entry.messages.length)
        stableMessages = messages.length;
    }
    return {
      messages,
      estimatedTokens: this.totalTokens(),
      elidedSteps: this.steps.length - this.shownSteps().length,
      stableMessages,
    };
  }

  private shownSteps(): StepEntry[] {
    const through = this.compaction?.throughStep ?? 0;
    return this.steps.filter((entry) => entry.step > through);
  }

  private headTokens(): number {
    return estimateTokens(this.systemPrompt) + estimateTokens(this.taskMessage()) + 8;
  }

  private totalTokens(): number {
    return this.shownSteps().reduce(
      (sum, entry) => sum + entry.tokens,
      this.headTokens() + (this.compaction?.tokens ?? 0),
    );
  }

  /** The same for the whole run: the task and what the verifier said before any change. */
  private taskMessage(): string {
    const parts = [`# Task\n\n${this.task}`];
    if (this.baseline) parts.push(`# Verifier before any change\n\n${this.baseline}`);
    return parts.join("\n\n");
  }

  private compact(throughStep: number, atStep: number): void {
    const summary = this.summaryFor(throughStep);
    for (const entry of this.steps) {
      if (entry.step > (this.compaction?.throughStep ?? 0) && entry.step <= throughStep)
        this.summaryLines.push(summarizeStep(entry.step, entry.messages));
    }
    this.compaction = { atStep, throughStep, message: summary.message, tokens: summary.tokens };
  }

  /** The summary message that compacting through `throughStep` would put after the task. */
  private summaryFor(throughStep: number): { message: ChatMessage; tokens: number } {
    const lines = [...this.summaryLines];
    for (const entry of this.steps) {
      if (entry.step > (this.compaction?.throughStep ?? 0) && entry.step <= throughStep)
        lines.push(summarizeStep(entry.step, entry.messages));
    }
    const cap = Math.floor(this.options.budgetTokens * summaryShare);
    let omitted = 0;
    let used = lines.reduce((sum, line) => sum + estimateTokens(line) + 1, 0);
    while (used > cap && omitted < lines.length - 1) {
      used -= estimateTokens(lines[omitted]!) + 1;
      omitted += 1;
    }
    const parts = [
      "# Earlier steps, compacted to fit the context window",
      `Steps up to ${throughStep} are summarized here; their full outputs are no longer shown (read a file again if you need it).`,
      ...(omitted > 0 ? [`(${omitted} older steps omitted.)`] : []),
      lines.slice(omitted).join("\n"),
    ];
    const failures = this.latestFailures;
    if (failures && failures.step <= throughStep) {
      const text = clipText(failures.text, Math.floor(this.options.budgetTokens * pinnedShare), "to fit");
      parts.push(`# Latest verifier result (step ${failures.step})\n\n${text}`);
    }
    const message: ChatMessage = { role: "user", content: parts.join("\n\n") };
    return { message, tokens: messageTokens(message) };
  }

  /** Appends to its step; a message that would make the step outgrow its share is clipped. */
  private push(step: number, message: ChatMessage): void {
    let entry = this.steps.at(-1);
    if (!entry || entry.step !== step) {
      entry = { step, messages: [], tokens: 0 };
      this.steps.push(entry);
    }
    const room = Math.floor(this.options.budgetTokens * stepShare) - entry.tokens;
    const fitted = messageTokens(message) > room ? clipMessage(message, Math.max(100, room)) : message;
    entry.messages.push(fitted);
    entry.tokens += messageTokens(fitted);
  }
}
