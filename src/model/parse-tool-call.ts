// Models sometimes send tool arguments that are not JSON (cut off, single quotes, prose).
// That is an outcome, not a crash: the call comes back with argsError and the raw text, so
// the loop can answer the model with an error observation and let it try again.
import type { ToolCall } from "./types.ts";

export function parseToolCall(id: string, name: string, argumentsText: string): ToolCall {
  const text = argumentsText.trim() === "" ? "{}" : argumentsText;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { id, name, args: argumentsText, argsError: `arguments are not valid JSON (${reason})` };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return { id, name, args: argumentsText, argsError: "arguments must be a JSON object" };
  }
  return { id, name, args: parsed };
}
