// The agent protocol's frames, as the host reads them: u8 type, u32 id, u32 length, payload
// (little endian; see native/cl-agent.c). Everything the agent says is checked here before
// anyone acts on it: the type must be one the agent sends, the length must fit that type
// (checked from the header alone, so a header claiming 4 GiB is refused at once instead of
// being buffered), and the bytes held while a frame is incomplete never exceed one frame.
// A violation is a SandboxProtocolError: the caller ends that sandbox; nothing throws past it.
import { SandboxProtocolError } from "./errors.ts";

export const frameHeaderBytes = 9;
/** The agent forwards output in reads of at most this many bytes (its pump buffer). */
export const maxDataPayload = 65_536;
const maxMessagePayload = 4096;

export type AgentFrameType = "R" | "P" | "O" | "e" | "C" | "X" | "F";

export interface AgentFrame {
  type: AgentFrameType;
  id: number;
  payload: Buffer;
}

/** Smallest and largest payload each agent -> host frame type may carry. */
const payloadBounds: Record<AgentFrameType, readonly [number, number]> = {
  R: [0, 0],
  P: [4, 4],
  O: [1, maxDataPayload],
  e: [1, maxDataPayload],
  C: [1, maxDataPayload],
  X: [16, 16],
  F: [1, maxMessagePayload],
};

function isFrameType(type: string): type is AgentFrameType {
  return Object.hasOwn(payloadBounds, type);
}

function describeType(byte: number): string {
  return byte >= 0x21 && byte < 0x7f ? `'${String.fromCharCode(byte)}'` : `0x${byte.toString(16)}`;
}

/** Encodes one host -> agent frame. */
export function encodeFrame(type: string, id: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(frameHeaderBytes);
  head.write(type, 0, "latin1");
  head.writeUInt32LE(id, 1);
  head.writeUInt32LE(payload.length, 5);
  return Buffer.concat([head, payload]);
}

/**
 * Splits the agent's byte stream into checked frames. `push` returns the complete frames
 * in `chunk` (plus what was held from before) or throws SandboxProtocolError; after an
 * error the reader stays failed.
 */
export class AgentFrameReader {
  private held: Buffer = Buffer.alloc(0);
  private failure: SandboxProtocolError | undefined;

  /** Bytes waiting for the rest of their frame (never more than one frame's worth). */
  get heldBytes(): number {
    return this.held.length;
  }

  push(chunk: Buffer): AgentFrame[] {
    if (this.failure) throw this.failure;
    const data = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    const frames: AgentFrame[] = [];
    let off = 0;
    while (data.length - off >= frameHeaderBytes) {
      const byte = data[off]!;
      const type = String.fromCharCode(byte);
      const id = data.readUInt32LE(off + 1);
      const len = data.readUInt32LE(off + 5);
      if (!isFrameType(type)) return this.fail(`unknown frame type ${describeType(byte)}`);
      const [min, max] = payloadBounds[type];
      if (len < min || len > max)
        return this.fail(
          `a '${type}' frame of ${len} bytes (it carries ${min === max ? min : `${min} to ${max}`})`,
        );
      if (data.length - off - frameHeaderBytes < len) break;
      const start = off + frameHeaderBytes;
      // A copy, so no frame pins the (possibly large) chunk it arrived in.
      frames.push({ type, id, payload: Buffer.from(data.subarray(start, start + len)) });
      off = start + len;
    }
    this.held = off === data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(off));
    return frames;
  }

  private fail(what: string): never {
    this.held = Buffer.alloc(0);
    this.failure = new SandboxProtocolError(what);
    throw this.failure;
  }
}
