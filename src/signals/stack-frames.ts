// Finding "the first stack frame inside the repo" is the same job for every runner: read a
// frame, decide whether it belongs to the user's code or to node_modules / the runtime, and
// print its path relative to the repo.

export interface SourceLocation {
  file: string;
  line: number;
  column?: number;
}

// `    at fn (file:///x/y.ts:3:9)`, `    at /x/y.ts:3:9`, ` ❯ fn src/y.ts:3:9` (vitest).
const jsFrame = /^\s*(?:at|❯)\s+(?:.*?\(|.*?\s)?((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?\s*$/;
// `  File "/x/y.py", line 3, in f`
const pythonFrame = /^\s*File "(.+?)", line (\d+)/;
// `\t/x/y.go:20 +0x2e`
const goFrame = /^\t(\/\S+\.go):(\d+)(?: \+0x[0-9a-f]+)?$/;
// `             at ./src/lib.rs:7:17`
const rustFrame = /^\s+at (\S+\.rs):(\d+):(\d+)$/;

/** Paths that belong to dependencies or to a language runtime, never to the user's code. */
export function isRuntimePath(path: string): boolean {
  return (
    path.startsWith("node:") ||
    path.startsWith("internal/") ||
    path.includes("<anonymous>") ||
    path.includes("/node_modules/") ||
    path.startsWith("node_modules/") ||
    path.startsWith("/rustc/") ||
    path.includes("/.cargo/registry/") ||
    path.includes("/.rustup/") ||
    /^\/usr\/(?:local\/)?lib\/go(?:-[\d.]+)?\//.test(path) ||
    path.startsWith("/usr/local/go/") ||
    path.includes("/pkg/mod/") ||
    /\/(?:site|dist)-packages\//.test(path) ||
    /\/lib\/python\d[\d.]*\//.test(path)
  );
}

/** A path as the model should read it: no `file://`, relative to `cwd` when it is inside it. */
export function normalizePath(path: string, cwd?: string): string {
  let p = path.startsWith("file://") ? decodeURIComponent(path.slice("file://".length)) : path;
  if (cwd) {
    const root = cwd.endsWith("/") ? cwd : `${cwd}/`;
    if (p.startsWith(root)) p = p.slice(root.length);
  }
  if (p.startsWith("./")) p = p.slice(2);
  return p;
}

/** Reads one stack-frame line of any supported language, or undefined. */
export function parseFrame(line: string): SourceLocation | undefined {
  let m = jsFrame.exec(line);
  if (m) return { file: m[1]!, line: Number(m[2]), column: Number(m[3]) };
  m = pythonFrame.exec(line);
  if (m) return { file: m[1]!, line: Number(m[2]) };
  m = goFrame.exec(line);
  if (m) return { file: m[1]!, line: Number(m[2]) };
  m = rustFrame.exec(line);
  if (m) return { file: m[1]!, line: Number(m[2]), column: Number(m[3]) };
  return undefined;
}

export function isStackFrame(line: string): boolean {
  return /^\s*at\s/.test(line) || /^\s*❯\s/.test(line) || goFrame.test(line);
}

/** The first frame in `lines` that points into the user's code, relative to `cwd`. */
export function firstRepoFrame(lines: Iterable<string>, cwd?: string): SourceLocation | undefined {
  for (const line of lines) {
    const frame = parseFrame(line);
    if (!frame || isRuntimePath(normalizePath(frame.file))) continue;
    return { ...frame, file: normalizePath(frame.file, cwd) };
  }
  return undefined;
}

export function formatLocation(location: { file?: string; line?: number; column?: number }): string {
  if (!location.file) return "";
  if (location.line === undefined) return location.file;
  return location.column === undefined
    ? `${location.file}:${location.line}`
    : `${location.file}:${location.line}:${location.column}`;
}
