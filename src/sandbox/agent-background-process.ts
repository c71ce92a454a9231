// A long-running command (a dev server) run by the sandbox agent: bounded log, per-line
// listeners, wait-for-port and a kill that takes its whole process group.
import type { AgentChannel } from "./agent-channel.ts";
import { createProcessLog, toBackgroundProcess } from "./process-log.ts";
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

let counter = 0;

export function createAgentBackgroundProcess(input: AgentBackgroundInput): BackgroundProcess {
  const logLimit = input.logBytes ?? 1024 * 1024;
  const log = createProcessLog(logLimit);
  let running = true;
  const onData = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
    (stream === "stdout" ? input.onStdout : input.onStderr)?.(chunk);
    log.push(stream, chunk);
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
  const exited = proc.exited.then(
    (exit) => {
      running = false;
      log.flush();
      return { exitCode: exit.exitCode, signal: exit.signal };
    },
    // The sandbox was ended under it (its agent broke the protocol): say so in its log.
    (error: Error) => {
      running = false;
      log.push("stderr", Buffer.from(`closedloop: ${error.message}\n`));
      log.flush();
      return { exitCode: null, signal: "SIGKILL" };
    },
  );

  return toBackgroundProcess({
    id: `bg-${++counter}`,
    command: input.command,
    log,
    exited,
    isRunning: () => running,
    probe: input.probe,
    async kill() {
      if (!running) return;
      proc.kill("SIGTERM");
      const grace = setTimeout(() => proc.kill("SIGKILL"), 500);
      await exited;
      clearTimeout(grace);
    },
  });
}
