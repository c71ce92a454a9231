// What the model sees, rebuilt from the run's own events so a resumed run sees exactly what
// the original would have. Near the model's window, older steps are shrunk first (their
// observations replaced by one line, long arguments cut) and then dropped, oldest first.
// The task and the latest verifier failures are never removed: when the step that carried
// the failures is shrunk, they are pinned under the task.
import type { ChatMessage, ToolCall } from "../model/index.ts";
import { estimateTokens } from "../signals/index.ts";
import type { LoopEvent } from "./loop-events.ts";

export interface ContextOptions {
  /** Tokens the rendered messages may use (the model's window minus room to answer). */
  budgetTokens: number;
  /** The most recent steps always kept whole. */
  keepRecentSteps: number;
}

export interface RenderedContext {
  messages: ChatMessage[];
  estimatedTokens: number;
  /** Steps shown shrunk or left out. */
  elidedSteps: number;
}

interface StepEntry {
  step: number;
  full: ChatMessage[];
  fullTokens: number;
  short?: { messages: ChatMessage[]; tokens: number };
}

const longArgChars = 200;

export class ConversationContext {
  private task = "";
  private baseline = "";
  private latestFailures: { step: number; text: string } | undefined;
  private readonly steps: StepEntry[] = [];

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
      default:
        break;
    }
  }

  render(): RenderedContext {
    const head = estimateTokens(this.systemPrompt) + estimateTokens(this.taskMessage(false)) + 8;
    const full = this.steps.reduce((sum, entry) => sum + entry.fullTokens, head);
    if (full <= this.options.budgetTokens) return this.assemble(0, 0, full);

    const recentFrom = Math.max(0, this.steps.length - this.options.keepRecentSteps);
    const pinned = estimateTokens(this.taskMessage(true)) - estimateTokens(this.taskMessage(false));
    let tokens = head + pinned;
    for (const [index, entry] of this.steps.entries())
      tokens += index < recentFrom ? this.shorten(entry).tokens : entry.fullTokens;
    // Over budget: drop the oldest shrunk steps; if the recent ones alone are too big, shrink
    // them too, oldest first. The latest step always stays whole.
    let shortUntil = recentFrom;
    let dropped = 0;
    while (tokens > this.options.budgetTokens) {
      if (dropped < shortUntil) {
        tokens -= this.shorten(this.steps[dropped]!).tokens;
        dropped += 1;
      } else if (shortUntil < this.steps.length - 1) {
        const entry = this.steps[shortUntil]!;
        tokens -= entry.fullTokens - this.shorten(entry).tokens;
        shortUntil += 1;
      } else break;
    }
    return this.assemble(shortUntil, dropped, tokens);
  }

  private assemble(shortUntil: number, dropped: number, tokens: number): RenderedContext {
    const failuresStep = this.latestFailures?.step;
    const pin =
      shortUntil > 0 &&
      failuresStep !== undefined &&
      this.steps.slice(0, shortUntil).some((e) => e.step === failuresStep);
    const messages: ChatMessage[] = [
      { role: "system", content: this.systemPrompt },
      { role: "user", content: this.taskMessage(pin, dropped) },
    ];
    for (const [index, entry] of this.steps.entries()) {
      if (index < dropped) continue;
      messages.push(...(index < shortUntil ? this.shorten(entry).messages : entry.full));
    }
    return { messages, estimatedTokens: tokens, elidedSteps: shortUntil };
  }

  private taskMessage(pinFailures: boolean, dropped = 0): string {
    const parts = [`# Task\n\n${this.task}`];
    if (this.baseline) parts.push(`# Verifier before any change\n\n${this.baseline}`);
    if (dropped > 0) parts.push(`(${dropped} earlier steps were left out to fit the context window.)`);
    if (pinFailures && this.latestFailures)
      parts.push(
        `# Latest verifier result (step ${this.latestFailures.step})\n\n${this.latestFailures.text}`,
      );
    return parts.join("\n\n");
  }

  private push(step: number, message: ChatMessage): void {
    let entry = this.steps.at(-1);
    if (!entry || entry.step !== step) {
      entry = { step, full: [], fullTokens: 0 };
      this.steps.push(entry);
    }
    entry.full.push(message);
    entry.fullTokens += messageTokens(message);
    entry.short = undefined;
  }

  private shorten(entry: StepEntry): { messages: ChatMessage[]; tokens: number } {
    if (entry.short) return entry.short;
    const messages = entry.full.map((message) => shortenMessage(entry.step, message));
    entry.short = { messages, tokens: messages.reduce((sum, m) => sum + messageTokens(m), 0) };
    return entry.short;
  }
}

function messageTokens(message: ChatMessage): number {
  const calls = message.role === "assistant" && message.toolCalls ? JSON.stringify(message.toolCalls) : "";
  return estimateTokens(message.content) + estimateTokens(calls) + 4;
}

function shortenMessage(step: number, message: ChatMessage): ChatMessage {
  switch (message.role) {
    case "tool": {
      const lines = message.content.split("\n");
      const first = lines[0]!.slice(0, 160);
      return {
        ...message,
        content: `[step ${step} ${message.toolName} output elided to save context (${lines.length} lines); first line: ${first}]`,
      };
    }
    case "assistant":
      return {
        role: "assistant",
        content: message.content.length > 400 ? `${message.content.slice(0, 400)} …[cut]` : message.content,
        ...(message.toolCalls ? { toolCalls: message.toolCalls.map(shortenCall) } : {}),
      };
    default:
      return message;
  }
}

function shortenCall(call: ToolCall): ToolCall {
  if (call.args === null || typeof call.args !== "object") return call;
  const args: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(call.args)) {
    args[key] =
      typeof value === "string" && value.length > longArgChars
        ? `${value.slice(0, longArgChars)} …[${value.length - longArgChars} characters elided]`
        : value;
  }
  return { ...call, args };
}
