// What every tool of one MCP session shares: the server-wide sandbox registry (where this
// session's own sandboxes are found by `owner`), the backend and folders the server was
// started with, and — when the CLI provides one — the way to launch a whole run.
import type { LoopEvent } from "../loop/index.ts";
import type { BackendName } from "../sandbox/index.ts";
import type { SandboxRegistry } from "./sandbox-registry.ts";

export interface RunRequest {
  task: string;
  workspace: string;
  verify: string[];
  protect: string[];
  /** A model id (`provider:model`, or `scripted:<file>` for the test double). */
  model?: string | undefined;
  maxSteps?: number | undefined;
  maxCostUsd?: number | undefined;
}

export interface RunOutcome {
  runId: string;
  verified: boolean;
  outcome: string;
  reason: string;
  patch: string;
  /** report.json as written to the store. */
  report: Record<string, unknown>;
}

/** Builds the model and tools and runs the loop; given by the CLI, which may import them. */
export type RunLauncher = (
  request: RunRequest,
  hooks: {
    runsDir: string;
    signal: AbortSignal;
    onEvent: (event: LoopEvent) => void;
    onRunId: (id: string) => void;
  },
) => Promise<RunOutcome>;

export interface McpSession {
  registry: SandboxRegistry;
  /** This session's key in the registry. */
  owner: string;
  backend: BackendName;
  /** Relative workspaces resolve against this. */
  cwd: string;
  runsDir: string;
  launchRun?: RunLauncher | undefined;
  /** Progress is re-sent this often while a step is busy (a long test run), so client time-outs reset. */
  heartbeatMs: number;
}
