// A `git apply`-able patch of one tree against another. Only the entries that differ are
// staged into two scratch directories literally named `a` and `b`, so git's own
// `diff --no-index` writes the standard headers (binary patches, renames, modes, symlinks,
// missing newlines) without us re-implementing any of it, and the cost is O(changes) once
// the candidates are known. Backends that know what changed (an overlay's upper dir) pass
// `paths`; otherwise both trees are walked.
import { execFile } from "node:child_process";
import type { Stats } from "node:fs";
// Per-entry file system calls are synchronous: thousands of awaited calls, each a hop to the
// thread pool, took minutes on a loaded machine; the sync calls take microseconds each.
import {
  chmodSync,
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { dirname, join, normalize, sep } from "node:path";
import { ownedTempPrefix, sweepStaleTempDirs } from "./stale-temp-dirs.ts";

export interface DiffTreesInput {
  before: string;
  after: string;
  /** Relative paths known to have changed (files or directories); omit to walk both trees. */
  paths?: string[];
  /** Return true for relative paths to leave out of the patch. `.git/` is always left out. */
  exclude?: (relPath: string) => boolean;
  /** `after` is a scratch copy of ours: hard-link its files instead of copying them again. */
  afterIsScratch?: boolean;
  /** Kills git and fails after this long (a diff of a huge change must not hang the caller). */
  timeoutMs?: number;
}

type Entries = Map<string, Stats>;

export async function diffTrees(input: DiffTreesInput): Promise<string> {
  const exclude = (rel: string) => isGitInternal(rel) || (input.exclude?.(rel) ?? false);
  const before: Entries = new Map();
  const after: Entries = new Map();
  if (input.paths) {
    for (const raw of input.paths) {
      const rel = checkRelative(raw);
      await collectPath(input.before, rel, before, exclude);
      await collectPath(input.after, rel, after, exclude);
    }
  } else {
    await walk(input.before, "", before, exclude);
    await walk(input.after, "", after, exclude);
  }

  const changed: string[] = [];
  for (const rel of new Set([...before.keys(), ...after.keys()])) {
    // Known-changed paths are compared by content: their mtime may have been set back.
    const a = before.get(rel);
    const b = after.get(rel);
    if (await differs(input.before, input.after, rel, a, b, !input.paths)) changed.push(rel);
  }
  if (changed.length === 0) return "";

  sweepStaleTempDirs("diff");
  const scratch = await mkdtemp(ownedTempPrefix("diff"));
  try {
    const nonUtf8: string[] = [];
    for (const rel of changed.sort()) {
      for (const [side, root, entries] of [
        ["a", input.before, before],
        ["b", input.after, after],
      ] as const) {
        const st = entries.get(rel);
        const link = side === "b" && input.afterIsScratch === true;
        if (st && (await stageEntry(root, rel, st, join(scratch, side), link)))
          nonUtf8.push(`${side}/${rel}`);
      }
    }
    mkdirSync(join(scratch, "a"), { recursive: true });
    mkdirSync(join(scratch, "b"), { recursive: true });
    // Text that is not UTF-8 would be mangled once the patch is a JS string: ship it as binary.
    const attributes = join(scratch, "attributes");
    writeFileSync(attributes, nonUtf8.map((p) => `${JSON.stringify(p)} -diff\n`).join(""));
    const raw = await runGitDiff(scratch, attributes, input.timeoutMs);
    return fixHeaders(raw);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function isGitInternal(rel: string): boolean {
  return rel.split("/").includes(".git");
}

function checkRelative(raw: string): string {
  const rel = normalize(raw).split(sep).join("/").replace(/\/+$/, "");
  if (rel === "" || rel === "." || rel.startsWith("/") || rel === ".." || rel.startsWith("../")) {
    throw new Error(`diffTrees: path must be relative and inside the tree: ${raw}`);
  }
  return rel;
}

async function tryLstat(path: string): Promise<Stats | undefined> {
  try {
    return lstatSync(path);
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === "ENOENT" ||
      (error as NodeJS.ErrnoException).code === "ENOTDIR"
    )
      return undefined;
    throw error;
  }
}

async function walk(
  root: string,
  rel: string,
  out: Entries,
  exclude: (rel: string) => boolean,
): Promise<void> {
  let names: string[];
  try {
    names = readdirSync(rel ? join(root, rel) : root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  for (const name of names) {
    const child = rel ? `${rel}/${name}` : name;
    if (exclude(child)) continue;
    const st = lstatSync(join(root, child));
    if (st.isDirectory()) await walk(root, child, out, exclude);
    else if (st.isFile() || st.isSymbolicLink()) out.set(child, st);
  }
}

/** One known-changed path: a file, a symlink, or a whole directory (new or deleted). */
async function collectPath(root: string, rel: string, out: Entries, exclude: (rel: string) => boolean) {
  if (exclude(rel)) return;
  // Every parent must be a real directory, or lstat would follow a symlink out of the tree.
  const parts = rel.split("/");
  for (let i = 1; i < parts.length; i++) {
    const st = await tryLstat(join(root, ...parts.slice(0, i)));
    if (!st?.isDirectory()) return;
  }
  const st = await tryLstat(join(root, rel));
  if (!st) return;
  if (st.isDirectory()) await walk(root, rel, out, exclude);
  else if (st.isFile() || st.isSymbolicLink()) out.set(rel, st);
}

async function differs(
  beforeRoot: string,
  afterRoot: string,
  rel: string,
  a: Stats | undefined,
  b: Stats | undefined,
  trustMtime: boolean,
) {
  if (!a || !b) return true;
  if (a.isSymbolicLink() !== b.isSymbolicLink()) return true;
  if (a.isSymbolicLink()) return readlinkSync(join(beforeRoot, rel)) !== readlinkSync(join(afterRoot, rel));
  // git records only the executable bit.
  if ((a.mode & 0o100) !== (b.mode & 0o100)) return true;
  if (a.size !== b.size) return true;
  // Same size and mtime: unchanged (git's and rsync's quick check; copies preserve mtimes).
  if (trustMtime && a.mtimeMs === b.mtimeMs) return false;
  const [x, y] = [readFileSync(join(beforeRoot, rel)), readFileSync(join(afterRoot, rel))];
  return !x.equals(y);
}

/** Copies one entry into the scratch side; returns true for a regular file that is text but not UTF-8. */
async function stageEntry(
  root: string,
  rel: string,
  st: Stats,
  sideDir: string,
  hardLink: boolean,
): Promise<boolean> {
  const dest = join(sideDir, rel);
  mkdirSync(dirname(dest), { recursive: true });
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(join(root, rel)), dest);
    return false;
  }
  // A second copy of a scratch tree would double what a diff stages on the host's disk.
  if (hardLink) linkSync(join(root, rel), dest);
  else copyFileSync(join(root, rel), dest);
  chmodSync(dest, st.mode & 0o777);
  const bytes = readFileSync(dest);
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return false;
  } catch {
    return true;
  }
}

function runGitDiff(cwd: string, attributes: string, timeoutMs = 0): Promise<string> {
  const args = [
    "-c",
    "core.quotepath=false",
    "-c",
    `core.attributesFile=${attributes}`,
    "diff",
    "--no-index",
    "--no-prefix",
    "--binary",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--find-renames=100%",
    "a",
    "b",
  ];
  // No user or system config: a diff.external or color setting must not change the patch.
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd, GIT_CONFIG_NOSYSTEM: "1", LC_ALL: "C" };
  return new Promise((resolve, reject) => {
    const options = {
      cwd,
      env,
      maxBuffer: 1024 ** 3,
      encoding: "buffer" as const,
      timeout: Math.max(0, timeoutMs),
    };
    execFile("git", args, options, (error, stdout, stderr) => {
      if (error?.killed) reject(new Error(`git diff --no-index did not finish within ${timeoutMs} ms`));
      // Exit code 1 means "there are differences".
      else if (error && (error as { code?: unknown }).code !== 1) {
        reject(new Error(`git diff --no-index failed: ${stderr.toString().trim() || error.message}`));
      } else resolve(stdout.toString("utf8"));
    });
  });
}

/**
 * With `--no-prefix` over directories named `a` and `b`, git already writes `a/X b/X`, except
 * that a new file is headed `b/X b/X`, a deleted one `a/X a/X`, and rename lines carry the
 * side directory. Header lines are recognisable: hunk lines start with ' ', '+', '-', '@', '\'
 * and base85 lines contain no spaces.
 */
function fixHeaders(patch: string): string {
  return patch
    .split("\n")
    .map((line) => {
      if (line.startsWith("diff --git ")) {
        const rest = line.slice("diff --git ".length);
        const h = (rest.length - 1) / 2;
        if (Number.isInteger(h) && rest[h] === " " && rest.slice(0, h) === rest.slice(h + 1)) {
          const half = rest.slice(0, h);
          const quoted = half.startsWith('"');
          const path = quoted ? half.slice(3) : half.slice(2);
          return quoted ? `diff --git "a/${path} "b/${path}` : `diff --git a/${path} b/${path}`;
        }
        return line;
      }
      const rename = /^(rename (?:from|to) )("?)[ab]\/(.*)$/.exec(line);
      if (rename) return `${rename[1]}${rename[2]}${rename[3]}`;
      return line;
    })
    .join("\n");
}
