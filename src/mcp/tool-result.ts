// How a tool answers: a JSON result the client can parse plus a short text a model reads
// first, or an MCP tool error (`isError: true`) whose message says what to do. Bad input and
// user errors never escape as exceptions, so one bad call cannot take the server down.
import { UserError } from "../util/index.ts";

/** A bad call (unknown id, missing workspace …): reported to the client, never a crash. */
export class McpToolError extends UserError {
  override readonly name = "McpToolError";
}

export interface ToolAnswer {
  [key: string]: unknown;
  content: { type: "text"; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
}

/** `summary` first (what a model acts on), then the full value as JSON. */
export function answer(summary: string, value: Record<string, unknown>): ToolAnswer {
  return {
    content: [
      { type: "text", text: summary },
      { type: "text", text: JSON.stringify(value, null, 2) },
    ],
    structuredContent: value,
  };
}

export function toolError(message: string): ToolAnswer {
  return { content: [{ type: "text", text: message }], isError: true };
}

/**
 * Wraps a handler so user errors become tool errors. A bug is still reported to the client
 * (with its message) and logged to stderr, but the server keeps serving.
 */
export function guarded<A, C>(
  name: string,
  handler: (args: A, ctx: C) => Promise<ToolAnswer>,
): (args: A, ctx: C) => Promise<ToolAnswer> {
  return async (args, ctx) => {
    try {
      return await handler(args, ctx);
    } catch (error) {
      if (UserError.isInstance(error)) return toolError(error.message);
      const message = error instanceof Error ? error.message : String(error);
      process.stderr.write(
        `closedloop mcp: ${name} failed: ${error instanceof Error ? error.stack : message}\n`,
      );
      return toolError(`${name} failed inside closedloop (a bug, please report it): ${message}`);
    }
  };
}
