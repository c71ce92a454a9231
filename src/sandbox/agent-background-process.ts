// A long-running command (a dev server) run by the sandbox agent: bounded log, per-line
// listeners, wait-for-port and a kill that takes its whole process group.
import type { AgentChannel } from "./agent-channel.ts";
import type { BackgroundProcess } from "./types.ts";

export interface AgentBackgroundInput {
  channel: AgentChannel;
  command: string;
  cwd: string;
  env: Record<string, string>;
  outputCap: number;
  /** True when something listens on `port` inside the sandbox. */
  probe: (port: number) => Promise<boolean>;
  onStdout?: (chunk: Uint8Array) => void;
  onStderr?: (chunk: Uint8Array) => void;
  logBytes?: number;
}

type Listener = (line: string, stream: "stdout" | "stderr") => void;

let counter = 0;

export function createAgentBackgroundProcess(input: AgentBackgroundInput): BackgroundProcess {
  const logLimit = input.logBytes ?? 1024 * 1024;
  const listeners = new Set<Listener>();
  const partial = { stdout: "", stderr: "" };
  let log = "";
  let running = true;
  const onData = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
    (stream === "stdout" ? input.onStdout : input.onStderr)?.(chunk);
    const text = chunk.toString("utf8");
    log += text;
    if (log.length > logLimit) log = log.slice(log.length - logLimit);
    const lines = (partial[stream] + text).split("\n");
    partial[stream] = lines.pop() ?? "";
    for (const line of lines) for (const l of listeners) l(line, stream);
  };
  const proc = input.channel.spawn({
    argv: ["/bin/sh", "-c", input.command],
    env: input.env,
    cwd: input.cwd,
    outputCap: input.outputCap,
    background: true,
    onStdout: onData("stdout"),
    onStderr: onData("stderr"),
  });
  proc.endStdin();
  const exited = proc.exited.then((exit) => {
    running = false;
    for (const stream of ["stdout", "stderr"] as const) {
      if (partial[stream]) for (const l of listeners) l(partial[stream], stream);
    }
    return { exitCode: exit.exitCode, signal: exit.signal };
  });

  return {
    id: `bg-${++counter}`,
    command: input.command,
    logs: () => log,
    onLog(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async waitForPort(port, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (!running) throw new Error(`'${input.command}' exited before listening on port ${port}`);
        if (await input.probe(port)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`);
    },
    exited,
    isRunning: () => running,
    async kill() {
      if (!running) return;
      proc.kill("SIGTERM");
      const grace = setTimeout(() => proc.kill("SIGKILL"), 500);
      await exited;
      clearTimeout(grace);
    },
  };
}
