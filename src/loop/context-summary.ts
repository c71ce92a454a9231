// How compacted steps read to the model: one line per step (what it said, what it called, the
// first line of what came back), and how a message too large for its step's share of the window
// is cut (head and tail kept, the cut said out loud). Pure text functions, no state.
import type { ChatMessage, ToolCall } from "../model/index.ts";
import { estimateTokens } from "../signals/index.ts";

const longArgChars = 200;

export function messageTokens(message: ChatMessage): number {
  const calls = message.role === "assistant" && message.toolCalls ? JSON.stringify(message.toolCalls) : "";
  return estimateTokens(message.content) + estimateTokens(calls) + 4;
}

function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function mainArgument(args: unknown): string {
  if (args === null || typeof args !== "object") return "";
  const a = args as Record<string, unknown>;
  const main = a.path ?? a.command ?? a.pattern ?? a.summary ?? a.url;
  return typeof main === "string" ? ` ${oneLine(main, 80)}` : "";
}

/** One summary line per message of a step; the caller joins them under the step's number. */
export function summarizeStep(step: number, messages: ChatMessage[]): string {
  const parts: string[] = [];
  const calls = new Map<string, ToolCall>();
  for (const message of messages) {
    switch (message.role) {
      case "assistant":
        if (message.content.trim()) parts.push(`said "${oneLine(message.content, 160)}"`);
        for (const call of message.toolCalls ?? []) calls.set(call.id, call);
        break;
      case "tool": {
        const call = calls.get(message.toolCallId);
        const lines = message.content.split("\n");
        const status = message.isError ? "error" : "ok";
        parts.push(
          `${message.toolName}${mainArgument(call?.args)} → ${status}: ${oneLine(lines[0] ?? "", 120)}${lines.length > 1 ? ` (${lines.length} lines)` : ""}`,
        );
        break;
      }
      case "user":
        parts.push(`note: ${oneLine(message.content, 160)}`);
        break;
      default:
        break;
    }
  }
  return `- step ${step}: ${parts.join("; ") || "(nothing)"}`;
}

/** The text cut to about `maxTokens`, keeping its head and tail and saying what was cut. */
export function clipText(text: string, maxTokens: number, why: string): string {
  const maxChars = Math.max(400, maxTokens * 4);
  if (text.length <= maxChars) return text;
  const head = text.slice(0, Math.floor(maxChars * 0.6));
  const tail = text.slice(text.length - Math.floor(maxChars * 0.3));
  const cutLines = text.slice(head.length, text.length - tail.length).split("\n").length;
  return `${head}\n…[${text.length - head.length - tail.length} characters (${cutLines} lines) cut ${why}]…\n${tail}`;
}

/** A message made to fit `maxTokens`: tool output clipped, long tool-call arguments cut. */
export function clipMessage(message: ChatMessage, maxTokens: number): ChatMessage {
  const why = "to fit the context window";
  switch (message.role) {
    case "tool":
      return { ...message, content: clipText(message.content, maxTokens, why) };
    case "assistant":
      return {
        role: "assistant",
        content: clipText(message.content, Math.floor(maxTokens / 2), why),
        ...(message.toolCalls ? { toolCalls: message.toolCalls.map(shortenCall) } : {}),
      };
    default:
      return { ...message, content: clipText(message.content, maxTokens, why) };
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
