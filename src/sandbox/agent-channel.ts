// Host side of the frame protocol spoken with native/cl-agent.c over the sandbox's
// stdin/stdout. One channel per sandbox; many commands can run over it at once, each
// with its own id. See the C file's header for the frame layout.
import type { Readable, Writable } from "node:stream";

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

function frame(type: string, id: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.write(type, 0, "latin1");
  head.writeUInt32LE(id, 1);
  head.writeUInt32LE(payload.length, 5);
  return Buffer.concat([head, payload]);
}

export class AgentChannel {
  readonly ready: Promise<void>;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffer: Buffer = Buffer.alloc(0);
  private closedReason: string | undefined;
  private markReady!: () => void;
  private failReady!: (error: Error) => void;

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
    input.on("error", () => this.close("the sandbox's input closed"));
  }

  get isOpen(): boolean {
    return this.closedReason === undefined;
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
    const exited = new Promise<AgentExit>((resolve) => this.pending.set(id, { options, resolve }));
    this.output.ref?.(); // a command in flight keeps the host process alive; an idle sandbox does not
    if (this.closedReason) this.finish(id, { exitCode: null, signal: "SIGKILL", outputBytes: 0 });
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
        if (!this.isOpen || !this.pending.has(id)) return;
        const payload = Buffer.alloc(4);
        payload.writeUInt32LE(signalNumbers[signal] ?? 9);
        this.input.write(frame("K", id, payload));
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

  private finish(id: number, exit: AgentExit): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    if (this.pending.size === 0) this.output.unref?.();
    p.resolve(exit);
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    let off = 0;
    while (this.buffer.length - off >= 9) {
      const len = this.buffer.readUInt32LE(off + 5);
      if (this.buffer.length - off - 9 < len) break;
      const type = String.fromCharCode(this.buffer[off]!);
      const id = this.buffer.readUInt32LE(off + 1);
      this.handle(type, id, this.buffer.subarray(off + 9, off + 9 + len));
      off += 9 + len;
    }
    this.buffer = off === this.buffer.length ? Buffer.alloc(0) : Buffer.from(this.buffer.subarray(off));
  }

  private handle(type: string, id: number, payload: Buffer): void {
    const p = this.pending.get(id);
    switch (type) {
      case "R":
        if (this.pending.size === 0) this.output.unref?.();
        this.markReady();
        return;
      case "O":
        p?.options.onStdout?.(Buffer.from(payload));
        return;
      case "e":
        p?.options.onStderr?.(Buffer.from(payload));
        return;
      case "C":
        p?.options.onControl?.(Buffer.from(payload));
        return;
      case "P":
        return;
      case "F":
        p?.options.onStderr?.(Buffer.from(`closedloop: ${payload.toString()}\n`));
        this.finish(id, { exitCode: 126, signal: null, outputBytes: 0 });
        return;
      case "X": {
        const code = payload.readUInt32LE(0);
        const sig = payload.readUInt32LE(4);
        const outputBytes = Number(payload.readBigUInt64LE(8));
        this.finish(id, {
          exitCode: code === 0xffffffff ? null : code,
          signal: sig ? (signalNames[sig] ?? `SIG${sig}`) : null,
          outputBytes,
        });
        return;
      }
    }
  }
}
