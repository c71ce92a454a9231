// Watches a dev server's log stream and turns what went wrong since the last step into
// findings: uncaught exception stacks (Node, Python, Go panics), EADDRINUSE, `Error:` lines,
// HTTP 5xx request lines and a non-zero exit. The process shape is structural so signals/
// never imports sandbox/. Memory is bounded: a capped tail of lines and a capped finding list
// per step, with counts of what was dropped.
import { stripVTControlCharacters } from "node:util";
import type { Finding } from "./types.ts";

type Stream = "stdout" | "stderr";

/** The part of a sandbox background process the watcher needs. */
export interface LogSource {
  onLog(listener: (line: string, stream: "stdout" | "stderr") => void): () => void;
  readonly exited?: Promise<{ exitCode: number | null; signal: string | null }>;
}

export interface ServerLogWatcherOptions {
  /** Absolute workspace path(s) (host side, sandbox side); paths under one are reported relative to it. */
  root?: string | string[];
  /** Lines of raw log kept per step (the newest win). Default 200. */
  maxLines?: number;
  /** Findings kept per step. Default 30. */
  maxFindings?: number;
}

/** What happened since the previous `drain()`. */
export interface ServerLogDelta {
  findings: Finding[];
  /** The newest log lines of this step, each cut to a sane width. */
  lines: string[];
  /** Lines written this step that are not in `lines`. */
  droppedLines: number;
  droppedFindings: number;
  /** Set once the process has ended (reported on every drain after that). */
  exit?: { exitCode: number | null; signal: string | null; expected: boolean };
}

export interface ServerLogWatcher {
  /** Resolves once the source's exit and the output before it are in the findings. */
  readonly exitReported: Promise<void>;
  /** Feeds one line by hand (the watcher also subscribes to the source's `onLog`). */
  push(line: string, stream?: Stream): void;
  /** The process is about to be stopped on purpose: its exit is not a crash. */
  expectExit(): void;
  /** Findings and log tail since the last call; resets the per-step state. */
  drain(): ServerLogDelta;
  /** Stops listening. */
  close(): void;
}

const maxLineChars = 400;
const maxBlockLines = 40;
const exitGraceMs = 50;
const excerptLines = 6;

// A frame that names a file: Node `at fn (/a/b.js:3:9)` / `at /a/b.js:3:9`, Python
// `File "/a/b.py", line 3`, Go `\t/a/b.go:12 +0x1d`.
const nodeFrame = /^\s+at\s+(?:.*?\()?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?(?:\s*\{)?\s*$/;
const pythonFrame = /^\s+File "([^"]+)", line (\d+)/;
const goFrame = /^\t(\/[^\s:]+\.go):(\d+)/;
// Node prints `/path/file.js:3` above the caret when an uncaught error reaches the top.
const nodeThrowSite = /^((?:\/|[A-Za-z]:\\)[^\s:]+):(\d+)$/;
const errorHeader =
  /^(?:Uncaught\s+)?(?:[\w.$]*(?:Error|Exception)|panic|fatal error)(?:\s*\[[^\]]*\])?:\s*\S/;
const errorWord =
  /\b(?:[\w$]*Error|[\w$]*Exception|FATAL|panic):\s|\b(?:ERROR|FATAL|CRITICAL|EADDRINUSE)\b|\bUnhandled\b/;
const httpStatus5xx =
  /\b(?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(\S+)[^\n]*?(?:^|[\s"'])(5\d\d)(?=$|[\s"'])/;
const anyLocation = /((?:\/|\.\.?\/)[\w./@+-]+\.[a-z]{1,5}):(\d+)(?::(\d+))?/;

interface Block {
  header: string;
  lines: string[];
  frames: { file: string; line: number; column?: number }[];
  python: boolean;
}

export function createServerLogWatcher(
  source: LogSource | undefined,
  options: ServerLogWatcherOptions = {},
): ServerLogWatcher {
  const maxLines = options.maxLines ?? 200;
  const maxFindings = options.maxFindings ?? 30;
  const roots = [options.root ?? []].flat().map((r) => r.replace(/\/+$/, ""));
  let lines: string[] = [];
  let droppedLines = 0;
  let findings: Finding[] = [];
  let repeats = new Map<string, number>();
  let droppedFindings = 0;
  // Each stream keeps its own half-read stack, so stdout request logs cannot cut a stderr trace.
  const open: Record<Stream, { block?: Block; throwSite?: { file: string; line: number; column?: number } }> =
    {
      stdout: {},
      stderr: {},
    };
  let lastBlockLocation: { file?: string; line?: number; column?: number } = {};
  let expected = false;
  let exit: ServerLogDelta["exit"];

  const relative = (file: string): string => {
    const path = file.replace(/^file:\/\//, "");
    const root = roots.find((r) => path.startsWith(`${r}/`));
    return root ? path.slice(root.length + 1) : path;
  };
  const isOwnFile = (file: string): boolean =>
    !file.startsWith("node:") &&
    !file.includes("/node_modules/") &&
    !file.startsWith("internal/") &&
    !file.includes("/lib/python") &&
    !file.includes("/usr/lib/go") &&
    !file.startsWith("<");

  const add = (finding: Finding): void => {
    const key = `${finding.file ?? ""}:${finding.line ?? ""}:${finding.message}`;
    const seen = repeats.get(key);
    if (seen !== undefined) {
      repeats.set(key, seen + 1);
      return;
    }
    if (findings.length >= maxFindings) {
      droppedFindings++;
      return;
    }
    repeats.set(key, 1);
    findings.push(finding);
  };

  const flush = (stream: Stream): void => {
    const state = open[stream];
    const { block: b, throwSite } = state;
    if (!b) return;
    state.block = undefined;
    state.throwSite = undefined;
    // Python prints the innermost frame last, Node and Go first; prefer frames in the repo.
    const ordered = b.python ? [...b.frames].reverse() : b.frames;
    const frame =
      ordered.find((f) => isOwnFile(f.file)) ??
      (throwSite && isOwnFile(throwSite.file) ? throwSite : undefined);
    const message = b.python
      ? (b.lines.findLast((l) => errorHeader.test(l.trim())) ?? b.header).trim()
      : b.header;
    const finding: Finding = { source: "server", kind: "server-error", message: truncate(message) };
    if (frame) {
      finding.file = relative(frame.file);
      finding.line = frame.line;
      if (frame.column !== undefined) finding.column = frame.column;
    } else {
      // A one-line `Error: … at /path/file.js:4:2` carries its location in the text.
      setLocation(finding, anyLocation.exec(message), relative);
    }
    finding.excerpt = formatExcerpt(b, isOwnFile, roots);
    lastBlockLocation = {};
    if (finding.file !== undefined) lastBlockLocation.file = finding.file;
    if (finding.line !== undefined) lastBlockLocation.line = finding.line;
    if (finding.column !== undefined) lastBlockLocation.column = finding.column;
    add(finding);
  };
  const flushAll = (): void => {
    flush("stdout");
    flush("stderr");
  };

  const handle = (raw: string, stream: Stream = "stderr"): void => {
    const line = stripVTControlCharacters(raw).replace(/\r$/, "");
    const state = open[stream];
    const block = state.block;
    if (lines.length >= maxLines) {
      lines.shift();
      droppedLines++;
    }
    lines.push(truncate(line));

    if (block) {
      const nf = nodeFrame.exec(line) ?? goFrame.exec(line);
      const pf = pythonFrame.exec(line);
      if (pf) {
        block.frames.push({ file: pf[1]!, line: Number(pf[2]) });
        if (block.lines.length < maxBlockLines) block.lines.push(line);
        return;
      }
      if (nf) {
        block.frames.push({ file: nf[1]!, line: Number(nf[2]), ...(nf[3] ? { column: Number(nf[3]) } : {}) });
        if (block.lines.length < maxBlockLines) block.lines.push(line);
        return;
      }
      if (block.python) {
        // Indented lines are source excerpts; the unindented `XError: message` line ends it.
        if (/^\s/.test(line) || line.trim() === "") {
          if (line.trim() !== "" && block.lines.length < maxBlockLines) block.lines.push(line);
          return;
        }
        if (errorHeader.test(line.trim())) {
          block.lines.push(line);
          flush(stream);
          return;
        }
      } else if (/^\s|^Require stack:|^- |^\{|^\}|^goroutine |^[\w.]+\(.*\)$|^$/.test(line)) {
        if (line.trim() !== "" && block.lines.length < maxBlockLines) block.lines.push(line);
        return;
      }
      flush(stream);
    }

    const site = nodeThrowSite.exec(line.trim());
    if (site) {
      state.throwSite = { file: site[1]!, line: Number(site[2]) };
      return;
    }
    if (/^Traceback \(most recent call last\):/.test(line)) {
      state.block = { header: line.trim(), lines: [], frames: [], python: true };
      return;
    }
    if (errorHeader.test(line.trim())) {
      state.block = { header: truncate(line.trim()), lines: [], frames: [], python: false };
      return;
    }
    const structured = line.startsWith("{") ? parseJsonLogError(line) : undefined;
    if (structured) {
      const finding: Finding = {
        source: "server",
        kind: "server-error",
        message: truncate(structured.message),
      };
      const frame = structured.stack
        ?.split("\n")
        .map((l) => nodeFrame.exec(l))
        .find((m) => m && isOwnFile(m[1]!));
      setLocation(finding, frame ?? null, relative);
      add(finding);
      return;
    }
    const http = httpStatus5xx.exec(line);
    if (http) {
      add({
        source: "server",
        kind: "server-error",
        message: truncate(line.trim()),
        excerpt: `HTTP ${http[2]} for ${http[1]}`,
      });
      return;
    }
    if (errorWord.test(line)) {
      const finding: Finding = { source: "server", kind: "server-error", message: truncate(line.trim()) };
      setLocation(finding, anyLocation.exec(line), relative);
      add(finding);
    }
  };

  const unsubscribe = source?.onLog((line, stream) => {
    // A chunk may carry several lines when a backend does not split them.
    for (const part of line.split("\n")) handle(part, stream);
  });
  const exitReported = (source?.exited ?? new Promise<never>(() => {})).then(async (result) => {
    // A process's exit can be seen before the last of its output is read; let that land.
    await new Promise((r) => setTimeout(r, exitGraceMs));
    flushAll();
    exit = { ...result, expected };
    if (!expected && (result.exitCode !== 0 || result.signal !== null)) {
      const how = result.exitCode !== null ? `exit code ${result.exitCode}` : `signal ${result.signal}`;
      add({
        source: "server",
        kind: "server-error",
        message: `server process exited with ${how}`,
        ...lastBlockLocation,
      });
    }
  });

  return {
    exitReported,
    push: (line, stream) => handle(line, stream),
    expectExit() {
      expected = true;
    },
    drain() {
      flushAll();
      const out: ServerLogDelta = {
        findings: findings.map((f) => {
          const n = repeats.get(`${f.file ?? ""}:${f.line ?? ""}:${f.message}`) ?? 1;
          return n > 1 ? { ...f, message: `${f.message} (×${n})` } : f;
        }),
        lines,
        droppedLines,
        droppedFindings,
        ...(exit ? { exit } : {}),
      };
      lines = [];
      droppedLines = 0;
      findings = [];
      repeats = new Map();
      droppedFindings = 0;
      return out;
    },
    close() {
      unsubscribe?.();
    },
  };
}

function truncate(line: string): string {
  return line.length <= maxLineChars
    ? line
    : `${line.slice(0, maxLineChars)}… [${line.length - maxLineChars} chars cut]`;
}

function setLocation(finding: Finding, at: RegExpExecArray | null, relative: (file: string) => string): void {
  if (!at) return;
  finding.file = relative(at[1]!);
  finding.line = Number(at[2]);
  if (at[3]) finding.column = Number(at[3]);
}

/** The block's lines after its header, runtime and dependency frames folded, paths relative. */
function formatExcerpt(block: Block, isOwnFile: (file: string) => boolean, roots: string[]): string {
  const out: string[] = [];
  let folded = 0;
  for (const line of block.lines) {
    const frame = nodeFrame.exec(line) ?? pythonFrame.exec(line) ?? goFrame.exec(line);
    if (frame && !isOwnFile(frame[1]!)) {
      folded++;
      continue;
    }
    if (out.length < excerptLines) out.push(line);
  }
  if (folded > 0) out.push(`    … ${folded} runtime/dependency frame(s) folded`);
  let text = out.join("\n");
  for (const root of roots) text = text.replaceAll(`${root}/`, "");
  return text;
}

/** pino / bunyan / winston JSON lines at error level or worse: `{"level":50,"msg":"…","err":{…}}`. */
function parseJsonLogError(line: string): { message: string; stack?: string } | undefined {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof entry !== "object" || entry === null) return undefined;
  const e = entry as Record<string, unknown>;
  const level = e.level ?? e.severity;
  const isError =
    typeof level === "number"
      ? level >= 50
      : /^(error|fatal|critical|emerg|alert)$/i.test(String(level ?? ""));
  if (!isError) return undefined;
  const err = (e.err ?? e.error) as Record<string, unknown> | undefined;
  const message = String(e.msg ?? e.message ?? err?.message ?? line);
  const stack =
    typeof err?.stack === "string" ? err.stack : typeof e.stack === "string" ? e.stack : undefined;
  return stack ? { message, stack } : { message };
}
