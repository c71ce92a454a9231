// Token estimates of whole model requests and replies, built on the one estimateTokens in util/.
// Used by the scripted model, and when an OpenAI-compatible server streams no usage, so budgets still bind.
import { estimateTokens } from "../util/index.ts";
import type { ChatMessage, ModelRequest, ToolCall } from "./types.ts";

export { estimateTokens };

function toolCallsText(calls: ToolCall[] | undefined): string {
  if (!calls) return "";
  return calls.map((c) => c.name + (typeof c.args === "string" ? c.args : JSON.stringify(c.args))).join("");
}

function messageText(message: ChatMessage): string {
  if (message.role === "assistant") return message.content + toolCallsText(message.toolCalls);
  if (message.role === "tool") return message.toolName + message.content;
  return message.content;
}

export function estimateInputTokens(request: Pick<ModelRequest, "messages" | "tools">): number {
  // A few tokens of framing per message, as the chat formats add role markers.
  const messages = request.messages.reduce((sum, m) => sum + estimateTokens(messageText(m)) + 4, 0);
  return messages + estimateTokens(JSON.stringify(request.tools));
}

export function estimateOutputTokens(text: string, toolCalls: ToolCall[]): number {
  return estimateTokens(text + toolCallsText(toolCalls));
}
