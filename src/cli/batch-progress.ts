// What `batch` prints while it runs: on a terminal a progress bar that redraws in place, with
// one line per finished task above it; when piped, those lines only; with --json, each result
// line as written to results.jsonl. Bad records and tasks not run go to stderr in every mode.
import type { BatchProgress, BatchResultLine, TaskRecord } from "../fleet/index.ts";
import type { OutputMode } from "./run-options.ts";

export interface BatchRenderer {
  started(task: TaskRecord, progress: BatchProgress): void;
  finished(line: BatchResultLine, progress: BatchProgress): void;
  note(text: string): void;
  close(): void;
}

function bar(done: number, total: number, width = 24): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
}

export function formatTaskLine(line: BatchResultLine): string {
  const mark = line.resolved ? "✓" : "✗";
  const attempts = line.attempts.length > 1 ? ` · attempt ${line.attempt}/${line.attempts.length}` : "";
  return `${mark} ${line.instance_id.padEnd(28)} ${line.outcome.padEnd(12)} ${String(line.steps).padStart(3)} steps · $${line.cost_usd.toFixed(4)} · ${(line.wall_time_ms / 1000).toFixed(1)}s${attempts}`;
}

export function createBatchRenderer(
  mode: OutputMode,
  out: NodeJS.WriteStream = process.stdout,
): BatchRenderer {
  const began = Date.now();
  let last: BatchProgress | undefined;
  let drawn = false;
  const status = (p: BatchProgress) =>
    `[${bar(p.finished, p.total)}] ${p.finished}/${p.total} · ${p.resolved} resolved · ${p.running} running · $${p.costUsd.toFixed(4)} · ${Math.round((Date.now() - began) / 1000)}s`;
  const clear = () => {
    if (drawn) out.write("\r\x1b[2K");
    drawn = false;
  };
  const draw = () => {
    if (mode !== "tty" || !last) return;
    clear();
    out.write(status(last));
    drawn = true;
  };
  const timer = mode === "tty" ? setInterval(draw, 1000) : undefined;
  timer?.unref();
  return {
    started(_task, progress) {
      last = progress;
      draw();
    },
    finished(line, progress) {
      last = progress;
      if (mode === "json") out.write(`${JSON.stringify(line)}\n`);
      else {
        clear();
        out.write(`${formatTaskLine(line)}\n`);
        draw();
      }
    },
    note(text) {
      clear();
      process.stderr.write(`${text}\n`);
      draw();
    },
    close() {
      if (timer) clearInterval(timer);
      clear();
    },
  };
}
