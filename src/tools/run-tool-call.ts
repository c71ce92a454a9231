// The one way the loop runs a tool call: whatever the model sent (an unknown name, arguments
// that were not JSON, the wrong shape) and whatever the tool does (throws), the answer is a
// ToolResult the model can read and act on — never an exception into the loop.
import { errorResult, invalidArguments } from "./define-tool.ts";
import type { Tool, ToolCall, ToolContext, ToolDefinition, ToolResult } from "./types.ts";

export function toolDefinitions(tools: Tool[]): ToolDefinition[] {
  return tools.map((tool) => tool.definition);
}

export async function runToolCall(tools: Tool[], call: ToolCall, context: ToolContext): Promise<ToolResult> {
  const tool = tools.find((candidate) => candidate.definition.name === call.name);
  if (!tool) {
    const names = tools.map((candidate) => candidate.definition.name).join(", ");
    return errorResult(`Unknown tool "${call.name}". The tools are: ${names}.`, { problem: "unknown-tool" });
  }
  if (call.argsError !== undefined)
    return invalidArguments(tool.definition, `the arguments were not valid JSON (${call.argsError}).`);
  try {
    return await tool.run(call.args, context);
  } catch (error) {
    // A tool that throws is either a sandbox refusal (a path outside the workspace, a
    // disposed sandbox) or a bug; both are reported to the model and recorded with the stack.
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return errorResult(`${call.name} failed: ${message}`, {
      problem: "tool-threw",
      stack: error instanceof Error ? error.stack : undefined,
    });
  }
}
