// What a tool is: a schema the model sees and a function that runs it against a sandbox.
// `verify` and `done` need the loop (the verifier, the exit decision), so they reach it
// through `ToolContext` callbacks rather than importing upward.
import type { Sandbox } from "../sandbox/index.ts";

export interface ToolDefinition {
  name: string;
  description: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}

export interface ToolResult {
  /** The observation the model reads. */
  content: string;
  isError: boolean;
  /** True when the workspace may have changed (write, edit, shell). */
  mutated?: boolean;
  /** Structured extras for events and the UI (exit code, findings …). */
  data?: Record<string, unknown>;
}

export interface ToolContext {
  sandbox: Sandbox;
  signal?: AbortSignal;
  /** Runs the verifier now (the `verify` tool); returns the text shown to the model. */
  runVerifier(): Promise<ToolResult>;
  /** Handles a completion claim (the `done` tool); the loop decides if it stands. */
  claimDone(summary: string): Promise<ToolResult>;
  /**
   * What to tell the model when it is about to change these workspace-relative paths and some
   * are protected (they decide how the verifier runs); undefined when none is. Write and edit
   * refuse such a change, so the sandbox never drifts from what the verifier will see.
   */
  protectedChange?(paths: string[]): string | undefined;
}

export interface Tool {
  definition: ToolDefinition;
  run(args: unknown, context: ToolContext): Promise<ToolResult>;
}

/** One tool call as the model sent it; `argsError` when its arguments were not valid JSON. */
export interface ToolCall {
  name: string;
  args: unknown;
  argsError?: string;
}
