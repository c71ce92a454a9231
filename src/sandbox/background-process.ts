// A long-running command (a dev server) started in its own process group: a bounded log of
// what it wrote, per-line listeners, wait-for-port, and a kill that takes the whole group.
import type { ChildProcess } from "node:child_process";
import { connect } from "node:net";
import { defaultGraceMs, killGroup, terminateGroup } from "./process-group.ts";
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

type Listener = (line: string, stream: "stdout" | "stderr") => void;

const defaultLogBytes = 1024 * 1024;
const pollMs = 50;

export function createBackgroundProcess(input: BackgroundProcessInput): BackgroundProcess {
  const { child } = input;
  const logLimit = input.logBytes ?? defaultLogBytes;
  const listeners = new Set<Listener>();
  let log = "";
  let running = true;

  const partial = { stdout: "", stderr: "" };
  const onData = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    log += text;
    if (log.length > logLimit) log = log.slice(log.length - logLimit);
    const lines = (partial[stream] + text).split("\n");
    partial[stream] = lines.pop() ?? "";
    for (const line of lines) for (const l of listeners) l(line, stream);
  };
  child.stdout?.on("data", onData("stdout"));
  child.stderr?.on("data", onData("stderr"));

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
  child.once("close", () => {
    for (const stream of ["stdout", "stderr"] as const) {
      if (partial[stream]) for (const l of listeners) l(partial[stream], stream);
      partial[stream] = "";
    }
  });

  const probe = input.probePort ?? probeTcp;

  return {
    id: input.id,
    command: input.command,
    logs: () => log,
    onLog(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async waitForPort(port, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (!running) {
          const { exitCode, signal } = await exited;
          throw new Error(
            `'${input.command}' exited (${signal ?? `code ${exitCode}`}) before listening on port ${port}`,
          );
        }
        if (await probe(port)) return;
        if (Date.now() >= deadline) {
          throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms ('${input.command}')`);
        }
        await new Promise((r) => setTimeout(r, pollMs));
      }
    },
    exited,
    isRunning: () => running,
    async kill() {
      if (running) await terminateGroup(child, defaultGraceMs);
      else killGroup(child.pid, "SIGKILL");
      await exited;
    },
  };
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
