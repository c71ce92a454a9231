// Runs one command as the leader of its own process group and collects its output within a
// byte budget. A timeout or abort signals the whole group (SIGTERM, then SIGKILL after a
// short grace), so `sleep 100 & sleep 100` cannot outlive it; when the leader exits, what
// is left of the group is killed too, so a stray background job can neither hold the
// output pipes open nor leak into the next command.
import { type ChildProcess, spawn } from "node:child_process";
import { performance } from "node:perf_hooks";

export interface GroupCommand {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface RunInGroupOptions {
  stdin?: string | Uint8Array;
  timeoutMs: number;
  signal?: AbortSignal;
  onStdout?: (chunk: Uint8Array) => void;
  onStderr?: (chunk: Uint8Array) => void;
  /** stdout+stderr bytes kept; the rest is counted and dropped. */
  outputBytes: number;
  /** Between SIGTERM and SIGKILL. */
  graceMs?: number;
  /** Called with the running child so its owner can kill it (dispose); returns an untrack function. */
  track?: (child: ChildProcess) => () => void;
}

export interface RunOutcome {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  truncated: boolean;
  outputBytes: number;
}

export const defaultGraceMs = 500;
/** How long to wait for the pipes to drain after the leader exited. */
const drainMs = 200;

export function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** SIGTERM to the group, SIGKILL after `graceMs` if the leader has not exited by then. */
export function terminateGroup(child: ChildProcess, graceMs = defaultGraceMs): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    killGroup(child.pid, "SIGKILL");
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => killGroup(child.pid, "SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      killGroup(child.pid, "SIGKILL");
      resolve();
    });
    killGroup(child.pid, "SIGTERM");
  });
}

export function spawnInGroup(command: GroupCommand, withStdin: boolean): ChildProcess {
  return spawn(command.file, command.args, {
    cwd: command.cwd,
    env: command.env,
    detached: true,
    stdio: [withStdin ? "pipe" : "ignore", "pipe", "pipe"],
  });
}

export function runInGroup(command: GroupCommand, options: RunInGroupOptions): Promise<RunOutcome> {
  const started = performance.now();
  const child = spawnInGroup(command, options.stdin !== undefined);
  const untrack = options.track?.(child) ?? (() => {});
  const kept: { stdout: Buffer[]; stderr: Buffer[] } = { stdout: [], stderr: [] };
  let keptBytes = 0;
  let totalBytes = 0;
  let truncated = false;
  let timedOut = false;

  const collect =
    (stream: "stdout" | "stderr", listener?: (chunk: Uint8Array) => void) => (chunk: Buffer) => {
      totalBytes += chunk.length;
      listener?.(chunk);
      const room = options.outputBytes - keptBytes;
      if (chunk.length <= room) {
        kept[stream].push(chunk);
        keptBytes += chunk.length;
      } else {
        if (room > 0) kept[stream].push(chunk.subarray(0, room));
        keptBytes += Math.max(room, 0);
        truncated = true;
      }
    };
  child.stdout?.on("data", collect("stdout", options.onStdout));
  child.stderr?.on("data", collect("stderr", options.onStderr));
  if (child.stdin) {
    // A command that exits without reading its input must not crash us with EPIPE.
    child.stdin.on("error", () => {});
    child.stdin.end(options.stdin);
  }

  let terminating = false;
  const terminate = () => {
    if (terminating) return;
    terminating = true;
    void terminateGroup(child, options.graceMs);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    terminate();
  }, options.timeoutMs);
  const onAbort = () => terminate();
  if (options.signal?.aborted) terminate();
  else options.signal?.addEventListener("abort", onAbort, { once: true });

  return new Promise((resolve, reject) => {
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let finished = false;
    const finish = () => {
      if (finished || !exit) return;
      finished = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      child.stdout?.destroy();
      child.stderr?.destroy();
      untrack();
      resolve({
        exitCode: exit.code,
        signal: exit.signal,
        stdout: Buffer.concat(kept.stdout).toString("utf8"),
        stderr: Buffer.concat(kept.stderr).toString("utf8"),
        durationMs: performance.now() - started,
        timedOut,
        truncated,
        outputBytes: totalBytes,
      });
    };
    child.once("error", (error) => {
      clearTimeout(timer);
      untrack();
      reject(error);
    });
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      killGroup(child.pid, "SIGKILL");
      setTimeout(finish, drainMs).unref();
    });
    child.once("close", finish);
  });
}
