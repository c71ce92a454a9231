// Host side of the frame protocol spoken with native/cl-agent.c over the sandbox's
// stdin/stdout. One channel per sandbox; many commands can run over it at once, each
// with its own id. See the C file's header for the frame layout.
//
// Why the host can believe what it hears: the agent is the only process inside that holds
// this channel (it is the sandbox's PID 1, so no bwrap init shares its descriptors, and no
// command inherits them), it is not dumpable (the sandbox uid can neither open its
// /proc/N/mem or /proc/N/fd nor process_vm_writev it; seccomp forbids ptrace), and as PID 1
// it ignores the signals sandboxed code can send it. The exit status in an 'X' frame is what
// the agent's own waitpid() saw for the command it forked. Even so every frame is checked
// (agent-frames.ts) and against the command it names: a frame for an id that is not running,
// more output than the command's cap, an impossible exit status, or no answer to a kill is a
// SandboxProtocolError that ends the sandbox and fails every command in flight.
import type { Readable, Writable } from "node:stream";
import { AgentFrameReader, encodeFrame as frame } from "./agent-frames.ts";
import { SandboxProtocolError } from "./errors.ts";
export interface AgentExit {
  exitCode: number | null;
  signal: string | null;
  outputBytes: number;
}

export interface AgentSpawnOptions {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** Bytes of stdout+stderr the agent forwards; the rest is counted and dropped inside. */
  outputCap: number;
  background?: boolean;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** Bytes the command writes to fd 3 (used to report the final working directory). */
  onControl?: (chunk: Buffer) => void;
  /** The command's pid inside the sandbox, once the agent has started it. */
  onStarted?: (pid: number) => void;
}

export interface AgentProcess {
  readonly id: number;
  readonly exited: Promise<AgentExit>;
  writeStdin(data: Uint8Array): void;
  endStdin(): void;
  kill(signal?: NodeJS.Signals): void;
}

interface Pending {
  options: AgentSpawnOptions;
  resolve: (exit: AgentExit) => void;
  reject: (error: Error) => void;
  /** stdout + stderr bytes forwarded so far; the agent never sends more than the cap. */
  forwarded: number;
  killWatch?: NodeJS.Timeout;
}

const signalNumbers: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGKILL: 9,
  SIGTERM: 15,
  SIGSTOP: 19,
  SIGCONT: 18,
};
const signalNames: Record<number, string> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  6: "SIGABRT",
  8: "SIGFPE",
  9: "SIGKILL",
  11: "SIGSEGV",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
  24: "SIGXCPU",
  25: "SIGXFSZ",
};

/** How long a SIGKILLed command may take to be reported gone before the agent counts as hung. */
const killAnswerMs = 10_000;
const maxSignal = 64;

export class AgentChannel {
  readonly ready: Promise<void>;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly reader = new AgentFrameReader();
  private closedReason: string | undefined;
  private failure: SandboxProtocolError | undefined;
  private isReady = false;
  private markReady!: () => void;
  private failReady!: (error: Error) => void;
  private readonly failureListeners: Array<(error: SandboxProtocolError) => void> = [];

  constructor(
    private readonly input: Writable,
    private readonly output: Readable & { ref?(): unknown; unref?(): unknown },
  ) {
    this.ready = new Promise((resolve, reject) => {
      this.markReady = resolve;
      this.failReady = reject;
    });
    this.ready.catch(() => {});
    output.on("data", (chunk: Buffer) => this.receive(chunk));
    output.on("close", () => this.close("the sandbox ended"));
    output.on("error", () => this.close("the sandbox's output closed"));
    input.on("error", () => this.close("the sandbox's input closed"));
  }

  get isOpen(): boolean {
    return this.closedReason === undefined;
  }

  /** Bytes held for an incomplete frame: never more than one frame's worth. */
  get bufferedBytes(): number {
    return this.reader.heldBytes;
  }

  /** Set once the agent broke the protocol; the sandbox is being ended. */
  get protocolError(): SandboxProtocolError | undefined {
    return this.failure;
  }

  /** Called once if the agent breaks the protocol (the owner ends the sandbox). */
  onProtocolError(listener: (error: SandboxProtocolError) => void): void {
    this.failureListeners.push(listener);
  }

  spawn(options: AgentSpawnOptions): AgentProcess {
    const id = this.nextId++;
    const strings = [
      options.cwd,
      ...options.argv,
      ...Object.entries(options.env).map(([k, v]) => `${k}=${v}`),
    ];
    const head = Buffer.alloc(17);
    head.writeUInt8(options.background ? 1 : 0, 0);
    head.writeBigUInt64LE(BigInt(Math.max(0, Math.floor(options.outputCap))), 1);
    head.writeUInt32LE(options.argv.length, 9);
    head.writeUInt32LE(Object.keys(options.env).length, 13);
    const body = Buffer.from(`${strings.join("\0")}\0`);
    const exited = new Promise<AgentExit>((resolve, reject) =>
      this.pending.set(id, { options, resolve, reject, forwarded: 0 }),
    );
    exited.catch(() => {}); // callers that only listen to output must not see an unhandled rejection
    this.output.ref?.(); // a command in flight keeps the host process alive; an idle sandbox does not
    if (this.failure) this.fail(this.failure);
    else if (this.closedReason) this.finish(id, { exitCode: null, signal: "SIGKILL", outputBytes: 0 });
    else this.input.write(frame("S", id, Buffer.concat([head, body])));
    return {
      id,
      exited,
      writeStdin: (data) => {
        for (let off = 0; off < data.length && this.isOpen; off += 1 << 20)
          this.input.write(frame("I", id, Buffer.from(data.subarray(off, off + (1 << 20)))));
      },
      endStdin: () => this.isOpen && this.input.write(frame("E", id)),
      kill: (signal = "SIGKILL") => {
        const p = this.pending.get(id);
        if (!this.isOpen || !p) return;
        const payload = Buffer.alloc(4);
        payload.writeUInt32LE(signalNumbers[signal] ?? 9);
        this.input.write(frame("K", id, payload));
        // A SIGKILLed command is gone at once; an agent that does not say so is stuck or
        // stopped, and waiting on it would hang the caller past its time-out.
        if ((signalNumbers[signal] ?? 9) === 9 && !p.killWatch) {
          p.killWatch = setTimeout(
            () =>
              this.fail(
                new SandboxProtocolError(
                  `command ${id} was not reported gone within ${killAnswerMs / 1000} s of SIGKILL`,
                ),
              ),
            killAnswerMs,
          );
          p.killWatch.unref();
        }
      },
    };
  }

  /** Asks the agent to kill everything and exit. */
  quit(): void {
    if (this.isOpen) this.input.write(frame("Q", 0));
  }

  close(reason: string): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    this.failReady(new Error(reason));
    for (const id of [...this.pending.keys()])
      this.finish(id, { exitCode: null, signal: "SIGKILL", outputBytes: 0 });
  }

  /** Believes nothing more from this agent: fails every command in flight with `error`. */
  private fail(error: SandboxProtocolError): void {
    const first = this.failure === undefined;
    this.failure ??= error;
    this.closedReason ??= error.message;
    this.failReady(this.failure);
    for (const [id, p] of [...this.pending]) {
      this.settle(id, p);
      p.reject(this.failure);
    }
    if (first) for (const listener of this.failureListeners) listener(this.failure);
  }

  private settle(id: number, p: Pending): void {
    clearTimeout(p.killWatch);
    this.pending.delete(id);
    if (this.pending.size === 0) this.output.unref?.();
  }

  private finish(id: number, exit: AgentExit): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.settle(id, p);
    p.resolve(exit);
  }

  private receive(chunk: Buffer): void {
    if (this.failure) return;
    try {
      for (const f of this.reader.push(chunk)) this.handle(f.type, f.id, f.payload);
    } catch (error) {
      if (!SandboxProtocolError.isInstance(error)) throw error;
      this.fail(error);
    }
  }

  private handle(type: string, id: number, payload: Buffer): void {
    if (this.failure) return;
    if (type === "R") {
      if (this.isReady || id !== 0) throw new SandboxProtocolError(`a second or misaddressed ready frame`);
      this.isReady = true;
      if (this.pending.size === 0) this.output.unref?.();
      this.markReady();
      return;
    }
    const p = this.pending.get(id);
    if (!p) throw new SandboxProtocolError(`a '${type}' frame for command ${id}, which is not running`);
    switch (type) {
      case "O":
      case "e":
        p.forwarded += payload.length;
        if (p.forwarded > p.options.outputCap)
          throw new SandboxProtocolError(
            `command ${id} was sent more output than its cap of ${p.options.outputCap} bytes`,
          );
        (type === "O" ? p.options.onStdout : p.options.onStderr)?.(payload);
        return;
      case "C":
        p.options.onControl?.(payload);
        return;
      case "P":
        if (payload.readUInt32LE(0) === 0) throw new SandboxProtocolError(`command ${id} started as pid 0`);
        p.options.onStarted?.(payload.readUInt32LE(0));
        return;
      case "F":
        p.options.onStderr?.(Buffer.from(`closedloop: ${payload.toString()}\n`));
        this.finish(id, { exitCode: 126, signal: null, outputBytes: 0 });
        return;
      case "X": {
        const code = payload.readUInt32LE(0);
        const sig = payload.readUInt32LE(4);
        const outputBytes = Number(payload.readBigUInt64LE(8));
        // waitpid() gives an exit code (0-255) or a signal, never both or neither.
        const isExit = code <= 255 && sig === 0;
        const isSignal = code === 0xffffffff && sig >= 1 && sig <= maxSignal;
        if (!isExit && !isSignal)
          throw new SandboxProtocolError(`command ${id} ended with code ${code}, signal ${sig}`);
        if (!Number.isSafeInteger(outputBytes) || outputBytes < p.forwarded)
          throw new SandboxProtocolError(
            `command ${id} reported ${outputBytes} output bytes after ${p.forwarded} were sent`,
          );
        this.finish(id, {
          exitCode: isExit ? code : null,
          signal: isSignal ? (signalNames[sig] ?? `SIG${sig}`) : null,
          outputBytes,
        });
        return;
      }
    }
  }
}
