// Our ChatMessage/ToolSpec → the AI SDK's LanguageModelV3 prompt and tools. The SDK's
// provider packages then speak each vendor's wire format.
import type {
  LanguageModelV3FunctionTool,
  LanguageModelV3Message,
  LanguageModelV3Prompt,
  SharedV3ProviderOptions,
} from "@ai-sdk/provider";
import type { ChatMessage, ToolCall, ToolSpec } from "./types.ts";

/**
 * Arguments to send back in history. A call whose arguments were not a JSON object is sent as
 * `{}`: Anthropic rejects non-object inputs, and the tool result already carries the error.
 */
function historyInput(call: ToolCall): Record<string, unknown> {
  if (call.argsError !== undefined) return {};
  const args = call.args;
  return args !== null && typeof args === "object" && !Array.isArray(args)
    ? (args as Record<string, unknown>)
    : {};
}

function convertMessage(message: ChatMessage): LanguageModelV3Message | undefined {
  switch (message.role) {
    case "system":
      return { role: "system", content: message.content };
    case "user":
      return { role: "user", content: [{ type: "text", text: message.content }] };
    case "assistant": {
      const content: Extract<LanguageModelV3Message, { role: "assistant" }>["content"] = [];
      // Providers reject empty or whitespace-only text blocks.
      if (message.content.trim() !== "") content.push({ type: "text", text: message.content });
      for (const call of message.toolCalls ?? []) {
        content.push({
          type: "tool-call",
          toolCallId: call.id,
          toolName: call.name,
          input: historyInput(call),
          ...(call.providerMetadata
            ? { providerOptions: call.providerMetadata as SharedV3ProviderOptions }
            : {}),
        });
      }
      return content.length > 0 ? { role: "assistant", content } : undefined;
    }
    case "tool":
      return {
        role: "tool",
        content: [
          {
            type: "tool-result",
            toolCallId: message.toolCallId,
            toolName: message.toolName,
            output: message.isError
              ? { type: "error-text", value: message.content }
              : { type: "text", value: message.content },
          },
        ],
      };
  }
}

export function toLanguageModelPrompt(messages: ChatMessage[]): LanguageModelV3Prompt {
  return convertPrompt(messages).prompt;
}

/**
 * The prompt, and where each ChatMessage ended up in it: a message with nothing to send (an empty
 * assistant turn) is dropped, and maps to the message before it.
 */
export function convertPrompt(messages: ChatMessage[]): {
  prompt: LanguageModelV3Prompt;
  promptIndexOf: (messageIndex: number) => number;
} {
  const prompt: LanguageModelV3Prompt = [];
  const positions: number[] = [];
  for (const message of messages) {
    const converted = convertMessage(message);
    if (converted) prompt.push(converted);
    positions.push(prompt.length - 1);
  }
  return { prompt, promptIndexOf: (i) => positions[Math.min(i, positions.length - 1)] ?? -1 };
}

export function toFunctionTools(tools: ToolSpec[]): LanguageModelV3FunctionTool[] {
  return tools.map((tool) => ({
    type: "function",
    name: tool.name,
    description: tool.description,
    inputSchema: tool.parameters as LanguageModelV3FunctionTool["inputSchema"],
  }));
}
