import type { BackgroundProcess } from "./types.ts";

// What both backends keep of a background process: a bounded log of everything it wrote,
// per-line listeners (a line split across chunks is joined first), and the wait-for-port
// loop that fails early when the process dies instead of listening.

type Stream = "stdout" | "stderr";
type Listener = (line: string, stream: Stream) => void;

export interface ProcessLog {
  push(stream: Stream, chunk: Buffer): void;
  /** Hands out the unfinished last lines (at exit). */
  flush(): void;
  text(): string;
  onLine(listener: Listener): () => void;
}

export function createProcessLog(limitBytes = 1024 * 1024): ProcessLog {
  const listeners = new Set<Listener>();
  const partial: Record<Stream, string> = { stdout: "", stderr: "" };
  let log = "";
  return {
    push(stream, chunk) {
      const text = chunk.toString("utf8");
      log += text;
      if (log.length > limitBytes) log = log.slice(log.length - limitBytes);
      const lines = (partial[stream] + text).split("\n");
      partial[stream] = lines.pop() ?? "";
      for (const line of lines) for (const l of listeners) l(line, stream);
    },
    flush() {
      for (const stream of ["stdout", "stderr"] as const) {
        if (partial[stream]) for (const l of listeners) l(partial[stream], stream);
        partial[stream] = "";
      }
    },
    text: () => log,
    onLine(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export interface WaitForPortInput {
  command: string;
  port: number;
  timeoutMs: number;
  isRunning(): boolean;
  exited: Promise<{ exitCode: number | null; signal: string | null }>;
  probe(port: number): Promise<boolean>;
  pollMs?: number;
}

export async function waitForPort(input: WaitForPortInput): Promise<void> {
  const deadline = Date.now() + input.timeoutMs;
  for (;;) {
    if (!input.isRunning()) {
      const { exitCode, signal } = await input.exited;
      throw new Error(
        `'${input.command}' exited (${signal ?? `code ${exitCode}`}) before listening on port ${input.port}`,
      );
    }
    if (await input.probe(input.port)) return;
    if (Date.now() >= deadline)
      throw new Error(
        `nothing listened on port ${input.port} within ${input.timeoutMs} ms ('${input.command}')`,
      );
    await new Promise((r) => setTimeout(r, input.pollMs ?? 50));
  }
}

export interface BackgroundParts {
  id: string;
  command: string;
  log: ProcessLog;
  exited: Promise<{ exitCode: number | null; signal: string | null }>;
  isRunning(): boolean;
  probe(port: number): Promise<boolean>;
  pollMs?: number;
  kill(): Promise<void>;
}

/** The BackgroundProcess both backends hand out, from the parts that differ between them. */
export function toBackgroundProcess(parts: BackgroundParts): BackgroundProcess {
  const { command, log, exited, isRunning, probe, pollMs } = parts;
  return {
    id: parts.id,
    command,
    logs: () => log.text(),
    onLog: (listener) => log.onLine(listener),
    waitForPort: (port, timeoutMs = 30_000) =>
      waitForPort({ command, port, timeoutMs, isRunning, exited, probe, pollMs }),
    exited,
    isRunning,
    kill: parts.kill,
  };
}
