// One place that turns a zod schema into both the JSON Schema the model sees and the check
// its arguments pass before a tool runs. A bad argument comes back as an error observation
// naming what was wrong and the expected schema; it never throws into the loop.
import { z } from "zod";
import type { Tool, ToolContext, ToolDefinition, ToolResult } from "./types.ts";

export interface ToolSpec<Schema extends z.ZodType> {
  name: string;
  description: string;
  schema: Schema;
  run(args: z.infer<Schema>, context: ToolContext): Promise<ToolResult>;
}

export function defineTool<Schema extends z.ZodType>(spec: ToolSpec<Schema>): Tool {
  const definition: ToolDefinition = {
    name: spec.name,
    description: spec.description,
    parameters: toParameters(spec.schema),
  };
  return {
    definition,
    async run(args, context) {
      // Providers send `null`, `undefined` or "" for a call without arguments.
      const input = args === undefined || args === null || args === "" ? {} : args;
      const parsed = spec.schema.safeParse(input);
      if (!parsed.success) return invalidArguments(definition, formatIssues(parsed.error.issues, input));
      return spec.run(parsed.data, context);
    },
  };
}

export function errorResult(content: string, data?: Record<string, unknown>): ToolResult {
  return data ? { content, isError: true, data } : { content, isError: true };
}

/** The error observation for arguments that do not fit a tool's schema. */
export function invalidArguments(definition: ToolDefinition, problem: string): ToolResult {
  return errorResult(
    `Invalid arguments for ${definition.name}: ${problem}\nExpected arguments (JSON Schema): ${JSON.stringify(definition.parameters)}`,
  );
}

function formatIssues(issues: z.core.$ZodIssue[], input: unknown): string {
  return issues
    .map((issue) => {
      const where = issue.path.length > 0 ? `"${issue.path.join(".")}"` : "arguments";
      if (issue.code === "invalid_type" && valueAt(input, issue.path) === undefined)
        return `${where} is required`;
      if (issue.code === "unrecognized_keys")
        return `unknown argument ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
      return `${where}: ${issue.message}`;
    })
    .join("; ");
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function toParameters(schema: z.ZodType): Record<string, unknown> {
  const json = z.toJSONSchema(schema) as Record<string, unknown>;
  delete json.$schema;
  return stripSafeIntegerBounds(json) as Record<string, unknown>;
}

// zod writes `maximum: 2^53-1` on every integer; it is noise in the model's context.
function stripSafeIntegerBounds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripSafeIntegerBounds);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (key === "maximum" && inner === Number.MAX_SAFE_INTEGER) continue;
    if (key === "minimum" && inner === Number.MIN_SAFE_INTEGER) continue;
    out[key] = stripSafeIntegerBounds(inner);
  }
  return out;
}
