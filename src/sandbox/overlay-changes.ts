// What changed in a local sandbox, and a copy of it for diffing, both read from INSIDE the
// sandbox by native/cl-export.c as the sandbox's uid (see its header for why and for the
// record format). The host never opens a path in the sandbox's tree: it reads a record
// stream, and because the process writing it runs as the sandbox uid (so sandboxed code
// could tamper with it), every record is checked here — lengths, clean relative names
// that were asked for, no write through anything staged before, bytes within the budget,
// the end marker present. The cost follows the size of the change, not of the workspace.
import {
  closeSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeSync,
} from "node:fs";
import { dirname, join } from "node:path";
import type { AgentExit } from "./agent-channel.ts";
import { SandboxDiffError } from "./errors.ts";

/** Runs cl-export inside the sandbox with `args`, feeding `stdin`, streaming its stdout. */
export type ExportRunner = (
  args: string[],
  stdin: Buffer | undefined,
  onStdout: (c: Buffer) => void,
) => Promise<AgentExit>;

export interface ExportLimits {
  /** Paths the listing may report before the diff is refused as too large. */
  maxPaths: number;
  maxFileBytes: number;
  /** Bytes all staged files may take, each counted as the larger of its size and its blocks. */
  budgetBytes: number;
}

interface ExportRecord {
  kind: string;
  payload: Buffer;
}

const maxRecordPayload = 65_536 + 2 * 4096 + 16;

/** Splits the stream into records of u8 kind, u32 length, payload. */
function createRecordReader(): (chunk: Buffer) => ExportRecord[] {
  let held = Buffer.alloc(0);
  return (chunk) => {
    const data = held.length ? Buffer.concat([held, chunk]) : chunk;
    const out: ExportRecord[] = [];
    let off = 0;
    while (data.length - off >= 5) {
      const len = data.readUInt32LE(off + 1);
      if (len > maxRecordPayload) throw malformed(`a record of ${len} bytes`);
      if (data.length - off - 5 < len) break;
      out.push({
        kind: String.fromCharCode(data[off]!),
        payload: Buffer.from(data.subarray(off + 5, off + 5 + len)),
      });
      off += 5 + len;
    }
    held = Buffer.from(data.subarray(off));
    return out;
  };
}

function malformed(what: string): SandboxDiffError {
  return new SandboxDiffError(
    `the sandbox's change listing was malformed (${what}); nothing was staged from it`,
  );
}

function isCleanRelative(rel: string): boolean {
  if (rel === "" || rel.startsWith("/") || rel.includes("\0") || rel.length > 4096) return false;
  return rel.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

function checkedPath(payload: Buffer): string {
  const rel = payload.toString("utf8");
  if (!isCleanRelative(rel) || !Buffer.from(rel, "utf8").equals(payload))
    throw malformed(`the path ${JSON.stringify(rel.slice(0, 80))}`);
  return rel;
}

/** Names in the user's own tree at `rel` (which the sandbox cannot change), if it is a plain folder there. */
function lowerNames(lower: string, rel: string): string[] {
  let at = lower;
  for (const part of rel ? rel.split("/") : []) {
    at = join(at, part);
    try {
      if (!lstatSync(at).isDirectory()) return [];
    } catch {
      return [];
    }
  }
  try {
    return readdirSync(at);
  } catch {
    return [];
  }
}

async function runExport(
  run: ExportRunner,
  args: string[],
  stdin: Buffer | undefined,
  onRecord: (r: ExportRecord) => void,
): Promise<void> {
  const read = createRecordReader();
  let ended = false;
  let failure: unknown;
  const exit = await run(args, stdin, (chunk) => {
    if (failure) return;
    try {
      for (const r of read(chunk)) {
        if (ended) throw malformed("records after the end");
        if (r.kind === "E") ended = true;
        else onRecord(r);
      }
    } catch (error) {
      failure = error;
    }
  });
  if (failure) throw failure;
  if (exit.signal === "SIGKILL")
    throw new SandboxDiffError("reading the sandbox's changes took longer than the diff's time limit");
  if (!ended) throw malformed(`it ended early (${exit.signal ?? `exit ${exit.exitCode}`})`);
}

/**
 * Relative paths that may differ between the user's tree `lower` and the sandbox's view:
 * every non-folder entry of the writable layer, and for every folder there, the user's
 * entries that are gone from the merged view (deleted, or hidden by a folder made again).
 */
export async function listChanges(
  run: ExportRunner,
  upper: string,
  merged: string,
  lower: string,
  limits: ExportLimits,
): Promise<string[]> {
  const out: string[] = [];
  let dir: string | undefined;
  let names = new Set<string>();
  let records = 0;
  const tooMany = () =>
    new SandboxDiffError(
      `the sandbox changed more than ${limits.maxPaths} paths; a patch that large is refused (remove generated files or add them to .gitignore)`,
    );
  await runExport(run, ["list", upper, merged, String(limits.maxPaths)], undefined, (r) => {
    if (++records > limits.maxPaths * 4) throw tooMany();
    switch (r.kind) {
      case "p":
        out.push(checkedPath(r.payload));
        break;
      case "d":
        dir = r.payload.length === 0 ? "" : checkedPath(r.payload);
        names = new Set();
        break;
      case "m":
        names.add(r.payload.toString("utf8"));
        break;
      case ".":
        if (dir === undefined) throw malformed("a folder end without a folder");
        for (const name of lowerNames(lower, dir))
          if (!names.has(name)) out.push(dir ? `${dir}/${name}` : name);
        dir = undefined;
        break;
      case "#":
        throw tooMany();
      default:
        throw malformed(`record kind ${JSON.stringify(r.kind)}`);
    }
    if (out.length > limits.maxPaths) throw tooMany();
  });
  return out.filter((p) => !/^\.(git|closedloop)(\/|$)/.test(p));
}

export interface StagedExport {
  /** Files left out of the patch, with why. */
  leftOut: { path: string; bytes?: number; reason: "too-large" | "over-budget" | "unreadable" | "changed" }[];
}

/**
 * Copies `paths` (relative, as listChanges gave them) from the sandbox into `stage`. A path
 * that is not there as a plain path (missing, or reached through a symlinked folder) is not
 * staged: as far as the patch goes it is gone. Symlinks are staged as links, never followed.
 */
export async function exportEntries(
  run: ExportRunner,
  root: string,
  paths: string[],
  stage: string,
  limits: ExportLimits,
): Promise<StagedExport> {
  const requested = new Set(paths);
  const dirs = new Set<string>(); // staged folders: their children may follow
  const staged = new Map<string, "file" | "link" | "dir">();
  const leftOut: StagedExport["leftOut"] = [];
  const made = new Set<string>(); // host folders already made in the stage
  let file: { fd: number; rel: string } | undefined;
  let written = 0;

  const place = (rel: string, kind: "file" | "link" | "dir"): string => {
    const parent = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "";
    if (!requested.has(rel) && !dirs.has(parent)) throw malformed(`${rel} was not asked for`);
    if (staged.has(rel)) throw malformed(`${rel} twice`);
    // Every folder on the way must be one staged (or made) as a folder, never a link or file.
    const parts = rel.split("/");
    for (let i = 1; i < parts.length; i++) {
      const up = staged.get(parts.slice(0, i).join("/"));
      if (up !== undefined && up !== "dir") throw malformed(`${rel} under a staged ${up}`);
    }
    staged.set(rel, kind);
    const dest = join(stage, rel);
    const parentDir = dirname(dest);
    if (!made.has(parentDir)) {
      mkdirSync(parentDir, { recursive: true });
      made.add(parentDir);
    }
    return dest;
  };
  const closeFile = (keep: boolean) => {
    if (!file) return;
    closeSync(file.fd);
    if (!keep) rmSync(join(stage, file.rel), { force: true });
    file = undefined;
  };
  const u32 = (r: ExportRecord) => {
    if (r.payload.length < 4) throw malformed(`a short '${r.kind}' record`);
    return r.payload.readUInt32LE(0);
  };

  const stdin = Buffer.from(paths.map((p) => `${p}\0`).join(""));
  try {
    await runExport(
      run,
      ["copy", root, String(limits.maxFileBytes), String(limits.budgetBytes)],
      stdin,
      (r) => {
        if (file && r.kind !== "c" && r.kind !== "z" && r.kind !== "x")
          throw malformed("a file without its end");
        switch (r.kind) {
          case "F": {
            const mode = u32(r);
            const rel = checkedPath(r.payload.subarray(4));
            file = { fd: openSync(place(rel, "file"), "wx", (mode & 0o777) | 0o600), rel };
            break;
          }
          case "c":
            if (!file) throw malformed("data outside a file");
            written += r.payload.length;
            if (written > limits.budgetBytes) throw malformed("more bytes than the budget");
            writeSync(file.fd, r.payload);
            break;
          case "z":
            closeFile(true);
            break;
          case "x":
            if (!file) throw malformed("a file abort outside a file");
            leftOut.push({ path: file.rel, reason: "changed" });
            closeFile(false);
            break;
          case "L": {
            const len = u32(r);
            if (len > r.payload.length - 4) throw malformed("a short link record");
            const rel = checkedPath(r.payload.subarray(4, 4 + len));
            symlinkSync(r.payload.subarray(4 + len).toString("utf8"), place(rel, "link"));
            break;
          }
          case "D": {
            u32(r);
            const rel = checkedPath(r.payload.subarray(4));
            mkdirSync(place(rel, "dir"), { recursive: true });
            dirs.add(rel);
            break;
          }
          case "-":
            checkedPath(r.payload);
            break;
          case "!": {
            if (r.payload.length < 8) throw malformed("a short '!' record");
            const bytes = Number(r.payload.readBigUInt64LE(0));
            const rel = checkedPath(r.payload.subarray(8));
            leftOut.push({
              path: rel,
              bytes,
              reason: bytes > limits.maxFileBytes ? "too-large" : "over-budget",
            });
            break;
          }
          case "?":
            u32(r);
            leftOut.push({ path: checkedPath(r.payload.subarray(4)), reason: "unreadable" });
            break;
          default:
            throw malformed(`record kind ${JSON.stringify(r.kind)}`);
        }
      },
    );
  } finally {
    closeFile(false);
  }
  return { leftOut };
}
