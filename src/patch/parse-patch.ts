// Reads a git-style unified diff into its file sections, each with the path it had before
// and after (created, deleted, renamed, copied, binary, quoted names). Every other job on
// diffs (filtering, applying, hashing) starts from these sections.
import { createHash } from "node:crypto";
import { UserError } from "../util/index.ts";

export interface PatchFile {
  /** Path before the change (workspace-relative), or null for a created file. */
  oldPath: string | null;
  /** Path after the change, or null for a deleted file. */
  newPath: string | null;
  /** The section's text, from its `diff --git` line up to the next one. */
  text: string;
}

/** A patch that is not git's format (a user error when it comes from the user, e.g. `apply`). */
export class PatchFormatError extends UserError {
  override readonly name = "PatchFormatError";
}

export function parsePatchFiles(patch: string): { preamble: string; files: PatchFile[] } {
  if (patch.trim().length === 0) return { preamble: "", files: [] };
  // A line starting with "diff --git " can only be a header: hunk lines start with " ", "+",
  // "-", "\" or "@", and git's base85 alphabet for binary patches has no space.
  const starts: number[] = [];
  if (patch.startsWith("diff --git ")) starts.push(0);
  for (let i = patch.indexOf("\ndiff --git "); i !== -1; i = patch.indexOf("\ndiff --git ", i + 1))
    starts.push(i + 1);
  if (starts.length === 0) {
    // Only notes (`# closedloop: … is left out`) and no change: an empty patch, not a bad one.
    if (patch.split("\n").every((line) => line.trim() === "" || line.startsWith("#")))
      return { preamble: patch, files: [] };
    throw new PatchFormatError("the patch has no `diff --git` headers; expected git's format");
  }
  const files = starts.map((start, i) => parseSection(patch.slice(start, starts[i + 1] ?? patch.length)));
  return { preamble: patch.slice(0, starts[0]), files };
}

/** Every workspace-relative path the patch names, before or after (sorted, no duplicates). */
export function patchPaths(patch: string): string[] {
  const paths = new Set<string>();
  for (const file of parsePatchFiles(patch).files) {
    if (file.oldPath !== null) paths.add(file.oldPath);
    if (file.newPath !== null) paths.add(file.newPath);
  }
  return [...paths].sort();
}

/** The paths a patch leaves behind: each section's new path, or its old one when deleted. */
export function patchFiles(patch: string): string[] {
  return parsePatchFiles(patch).files.map((file) => (file.newPath ?? file.oldPath)!);
}

/** A short stable id of a patch's exact text (checkpoints, run reports). */
export function hashPatch(patch: string): string {
  return createHash("sha256").update(patch).digest("hex").slice(0, 16);
}

function parseSection(text: string): PatchFile {
  const lines = text.split("\n");
  let oldPath: string | null | undefined;
  let newPath: string | null | undefined;
  let created = false;
  let deleted = false;
  for (const line of lines.slice(1)) {
    if (line.startsWith("@@") || line.startsWith("GIT binary patch")) break;
    if (line.startsWith("--- ")) oldPath = headerPath(line.slice(4));
    else if (line.startsWith("+++ ")) newPath = headerPath(line.slice(4));
    else if (line.startsWith("rename from ") || line.startsWith("copy from "))
      oldPath = unquote(after(line, " from "));
    else if (line.startsWith("rename to ") || line.startsWith("copy to "))
      newPath = unquote(after(line, " to "));
    else if (line.startsWith("new file mode")) created = true;
    else if (line.startsWith("deleted file mode")) deleted = true;
  }
  if (oldPath === undefined || newPath === undefined) {
    // No ---/+++ lines (binary, mode-only, empty new file): the names are on the header.
    const [a, b] = splitGitHeader(lines[0]!.slice("diff --git ".length));
    if (oldPath === undefined) oldPath = a;
    if (newPath === undefined) newPath = b;
  }
  return { oldPath: created ? null : oldPath, newPath: deleted ? null : newPath, text };
}

function after(line: string, marker: string): string {
  return line.slice(line.indexOf(marker) + marker.length);
}

/** `a/src/x.js`, `"b/t\303\251st"`, `/dev/null` (a trailing tab and timestamp are dropped). */
function headerPath(raw: string): string | null {
  const value = raw.startsWith('"') ? unquote(raw) : raw.replace(/\t.*$/, "");
  if (value === "/dev/null") return null;
  return stripPrefix(value);
}

function stripPrefix(path: string): string {
  const slash = path.indexOf("/");
  return slash === -1 ? path : path.slice(slash + 1);
}

function splitGitHeader(rest: string): [string, string] {
  if (rest.startsWith('"')) {
    const end = closingQuote(rest);
    const a = unquote(rest.slice(0, end + 1));
    const b = rest.slice(end + 2);
    return [stripPrefix(a), stripPrefix(b.startsWith('"') ? unquote(b) : b)];
  }
  if (rest.endsWith('"')) {
    const start = rest.lastIndexOf(' "');
    return [stripPrefix(rest.slice(0, start)), stripPrefix(unquote(rest.slice(start + 1)))];
  }
  // Unquoted and unrenamed: "a/P b/P", so both halves have the same length.
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && stripPrefix(rest.slice(0, half)) === stripPrefix(rest.slice(half + 1)))
    return [stripPrefix(rest.slice(0, half)), stripPrefix(rest.slice(half + 1))];
  const space = rest.indexOf(" ");
  return [stripPrefix(rest.slice(0, space)), stripPrefix(rest.slice(space + 1))];
}

function closingQuote(text: string): number {
  for (let i = 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  throw new PatchFormatError(`unterminated quoted path in patch header: ${text}`);
}

const escapes: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, "\\": 92 };

/** Git's C-style quoting: backslash escapes and octal bytes, decoded as UTF-8. */
export function unquote(raw: string): string {
  if (!raw.startsWith('"')) return raw;
  const bytes: number[] = [];
  const body = raw.slice(1, closingQuote(raw));
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== "\\") {
      const point = String.fromCodePoint(body.codePointAt(i)!);
      bytes.push(...Buffer.from(point, "utf8"));
      i += point.length - 1;
      continue;
    }
    const next = body[++i]!;
    if (/[0-7]/.test(next)) {
      bytes.push(Number.parseInt(body.slice(i, i + 3), 8));
      i += 2;
    } else bytes.push(escapes[next] ?? next.charCodeAt(0));
  }
  return Buffer.from(bytes).toString("utf8");
}
