// A long-running command (a dev server) started in its own process group: a bounded log of
// what it wrote, per-line listeners, wait-for-port, and a kill that takes the whole group.
import type { ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { defaultGraceMs, killGroup, terminateGroup } from "./process-group.ts";
import { createProcessLog, toBackgroundProcess } from "./process-log.ts";
import type { BackgroundProcess } from "./types.ts";

export interface BackgroundProcessInput {
  id: string;
  command: string;
  child: ChildProcess;
  /** Bytes of log kept (the oldest are dropped first). */
  logBytes?: number;
  /** Resolves true when something accepts connections on `port`; default: TCP to 127.0.0.1. */
  probePort?: (port: number) => Promise<boolean>;
}

const defaultLogBytes = 1024 * 1024;
const pollMs = 50;

export function createBackgroundProcess(input: BackgroundProcessInput): BackgroundProcess {
  const { child } = input;
  const logLimit = input.logBytes ?? defaultLogBytes;
  const log = createProcessLog(logLimit);
  let running = true;
  child.stdout?.on("data", (c: Buffer) => log.push("stdout", c));
  child.stderr?.on("data", (c: Buffer) => log.push("stderr", c));

  const exited = new Promise<{ exitCode: number | null; signal: string | null }>((resolve) => {
    child.once("error", () => {
      running = false;
      resolve({ exitCode: null, signal: null });
    });
    child.once("exit", (exitCode, signal) => {
      running = false;
      // Whatever the leader left behind in its group goes with it.
      killGroup(child.pid, "SIGKILL");
      resolve({ exitCode, signal });
    });
  });
  child.once("close", () => log.flush());

  return toBackgroundProcess({
    id: input.id,
    command: input.command,
    log,
    exited,
    isRunning: () => running,
    probe: input.probePort ?? probeTcp,
    pollMs,
    async kill() {
      if (running) await terminateGroup(child, defaultGraceMs);
      else killGroup(child.pid, "SIGKILL");
      await exited;
    },
  });
}

export function probeTcp(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}
