// One command in a sandbox, answered the way the loop answers the model: exit status, the
// compacted findings (failing tests and errors with their first location), and the raw
// output capped head-and-tail so a huge log cannot flood the client.
import type { LimitName, Sandbox } from "../sandbox/index.ts";
import { type CompactFeedback, createOutputCompactor } from "../signals/index.ts";
import { truncateMiddle } from "../util/index.ts";

export interface ExecFeedback {
  command: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** The sandbox limits it ran into, as the sandbox reports them (absent: none known). */
  limitsHit?: LimitName[];
  durationMs: number;
  cwd: string;
  feedback: CompactFeedback;
  stdout: string;
  stderr: string;
  /** True when stdout or stderr above was cut to fit `maxOutputChars` (or the sandbox's output limit). */
  outputCut: boolean;
}

export interface ExecFeedbackOptions {
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
  budgetTokens?: number;
  maxOutputChars?: number;
}

const sandboxRoot = new WeakMap<Sandbox, Promise<string>>();

/** Where the sandbox sees its workspace (the process backend works on a copy), so paths come out relative. */
function rootOf(sandbox: Sandbox): Promise<string> {
  let root = sandboxRoot.get(sandbox);
  if (!root) {
    root = sandbox.exec("pwd").then((r) => r.stdout.trim() || sandbox.info.workspace);
    sandboxRoot.set(sandbox, root);
  }
  return root;
}

export async function execWithFeedback(
  sandbox: Sandbox,
  command: string,
  options: ExecFeedbackOptions = {},
): Promise<ExecFeedback> {
  const compactor = createOutputCompactor({
    command,
    budgetTokens: options.budgetTokens ?? 2000,
    cwd: await rootOf(sandbox),
  });
  const result = await sandbox.exec(command, {
    onStdout: (chunk) => compactor.push(chunk),
    onStderr: (chunk) => compactor.push(chunk, "stderr"),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const feedback = compactor.finish(result.timedOut ? null : result.exitCode);
  const max = options.maxOutputChars ?? 8000;
  const stdout = truncateMiddle(result.stdout, max);
  const stderr = truncateMiddle(result.stderr, max);
  return {
    command,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    ...(result.limitsHit ? { limitsHit: result.limitsHit } : {}),
    durationMs: Math.round(result.durationMs),
    cwd: result.cwd,
    feedback,
    stdout: stdout.text,
    stderr: stderr.text,
    outputCut: stdout.cut || stderr.cut || result.truncated,
  };
}

export function describeExit(r: Pick<ExecFeedback, "exitCode" | "signal" | "timedOut">): string {
  if (r.timedOut) return "timed out";
  if (r.signal) return `killed by ${r.signal}`;
  return `exit ${r.exitCode}`;
}
