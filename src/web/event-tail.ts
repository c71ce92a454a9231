// Follows a run's events.jsonl while another process appends to it. Each complete line is
// handed over once with its 1-based line number (the SSE event id, so a reconnect with
// Last-Event-ID resumes after it); a last line still being written is held back until its
// newline arrives, so a torn or half-flushed line is never sent. inotify (fs.watch) wakes it
// at once; a short poll covers filesystems where watching does not work.
import { closeSync, existsSync, type FSWatcher, openSync, readSync, statSync, watch } from "node:fs";

export interface TailedLine {
  line: number;
  text: string;
}

export interface EventTail {
  close(): void;
}

export interface EventTailOptions {
  /** Lines already seen: the tail starts after this many (Last-Event-ID). */
  afterLine?: number;
  pollMs?: number;
  onLines(lines: TailedLine[]): void;
}

export function tailEventLog(path: string, options: EventTailOptions): EventTail {
  const skip = options.afterLine ?? 0;
  let offset = 0;
  let lineNo = 0;
  let pending = "";
  let closed = false;
  let watcher: FSWatcher | undefined;

  const read = () => {
    if (closed || !existsSync(path)) return;
    const size = statSync(path).size;
    if (size < offset) {
      // Replaced or truncated (a run re-created under the same id): start over.
      offset = 0;
      lineNo = 0;
      pending = "";
    }
    if (size === offset) return;
    const fd = openSync(path, "r");
    try {
      const buffer = Buffer.alloc(size - offset);
      const n = readSync(fd, buffer, 0, buffer.length, offset);
      offset += n;
      pending += buffer.subarray(0, n).toString("utf8");
    } finally {
      closeSync(fd);
    }
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    const out: TailedLine[] = [];
    for (const text of parts) {
      lineNo++;
      if (lineNo > skip && text.trim() !== "") out.push({ line: lineNo, text });
    }
    if (out.length > 0) options.onLines(out);
  };

  const tryWatch = () => {
    if (watcher || closed || !existsSync(path)) return;
    try {
      watcher = watch(path, () => read());
      watcher.on("error", () => {
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      watcher = undefined;
    }
  };

  read();
  tryWatch();
  const poll = setInterval(() => {
    tryWatch();
    read();
  }, options.pollMs ?? 250);
  poll.unref();

  return {
    close() {
      closed = true;
      clearInterval(poll);
      watcher?.close();
    },
  };
}
