// One run's trajectory: an append-only JSONL file of events. Each event is written with one
// write(2) on an O_APPEND descriptor, so a crash leaves at most one torn last line, which the
// reader skips. `sync()` is called by the loop at step boundaries so a completed step survives
// a power cut, not only a killed process.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from "node:fs";

export interface StoredEvent {
  type: string;
}

export class RunLog<E extends StoredEvent = StoredEvent> {
  private fd: number | undefined;

  constructor(readonly path: string) {
    this.fd = openSync(path, "a", 0o644);
  }

  append(event: E): void {
    if (this.fd === undefined) throw new Error(`run log ${this.path} is closed`);
    writeSync(this.fd, `${JSON.stringify(event)}\n`);
  }

  /** Flushes everything appended so far to disk. */
  sync(): void {
    if (this.fd !== undefined) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface ReadEventsResult<E> {
  events: E[];
  /** A last line cut short by a crash (not valid JSON), which was skipped. */
  tornTail: boolean;
}

/** Reads a JSONL event log. A malformed line anywhere but at the end is corruption and throws. */
export function readEventLog<E extends StoredEvent = StoredEvent>(path: string): ReadEventsResult<E> {
  if (!existsSync(path)) return { events: [], tornTail: false };
  const lines = readFileSync(path, "utf8").split("\n");
  const events: E[] = [];
  let tornTail = false;
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    try {
      events.push(JSON.parse(line) as E);
    } catch {
      const isLast = lines.slice(index + 1).every((rest) => rest.trim() === "");
      if (!isLast) throw new Error(`${path}: line ${index + 1} is not valid JSON`);
      tornTail = true;
    }
  });
  return { events, tornTail };
}

/**
 * Cuts a torn last line (a crash mid-write) before more events are appended, so the log stays
 * one valid event per line; returns the bytes cut. Corruption before the end is left to throw.
 */
export function cutTornTail(path: string): number {
  if (!existsSync(path)) return 0;
  const bytes = readFileSync(path);
  let end = bytes.length;
  // A last line without its newline is torn even when it parses: the newline is part of the write.
  if (end > 0 && bytes[end - 1] !== 0x0a) end = bytes.lastIndexOf(0x0a) + 1;
  else if (end > 0) {
    const start = bytes.lastIndexOf(0x0a, end - 2) + 1;
    const last = bytes.subarray(start, end).toString("utf8").trim();
    try {
      if (last !== "") JSON.parse(last);
    } catch {
      end = start;
    }
  }
  if (end === bytes.length) return 0;
  truncateSync(path, end);
  return bytes.length - end;
}
