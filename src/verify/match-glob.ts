// Protected-path globs, matched against workspace-relative paths with forward slashes.
// Semantics follow .gitignore, which users already know:
//   `*` any run of characters within one path segment, `?` one character other than `/`,
//   `**` any number of whole segments (including none);
//   a glob without a `/` matches the name at any depth (`*.test.js`);
//   a glob that matches a directory protects everything under it (`test`, `test/`).
// Written here rather than pulled in as a dependency: it is thirty lines and must never
// change meaning under us, since it decides what the model is allowed to change.

export function matchGlob(glob: string, path: string): boolean {
  const pattern = normalizeGlob(glob);
  const segments = normalizePath(path).split("/");
  const parts = pattern.includes("/") ? pattern.split("/") : ["**", pattern];
  // A match of any leading run of the path's segments means a directory above it matched.
  for (let n = segments.length; n >= 1; n--) if (matchSegments(parts, segments.slice(0, n))) return true;
  return false;
}

export function isProtectedPath(globs: readonly string[], path: string): boolean {
  return globs.some((glob) => matchGlob(glob, path));
}

export function normalizeGlob(glob: string): string {
  let out = glob
    .trim()
    .replaceAll("\\", "/")
    .replace(/^(\.\/)+/, "");
  if (out.startsWith("/")) out = out.slice(1);
  while (out.endsWith("/")) out = out.slice(0, -1);
  return out.replace(/\/{2,}/g, "/");
}

function normalizePath(path: string): string {
  return path
    .replace(/^(\.\/)+/, "")
    .replace(/^\/+/, "")
    .replace(/\/{2,}/g, "/")
    .replace(/\/$/, "");
}

function matchSegments(parts: string[], segments: string[]): boolean {
  if (parts.length === 0) return segments.length === 0;
  const [head, ...rest] = parts;
  if (head === "**") {
    for (let skip = 0; skip <= segments.length; skip++)
      if (matchSegments(rest, segments.slice(skip))) return true;
    return false;
  }
  if (segments.length === 0) return false;
  return matchSegment(head!, segments[0]!) && matchSegments(rest, segments.slice(1));
}

/** `*` and `?` inside one segment; everything else is literal. */
function matchSegment(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let starP = -1;
  let starN = 0;
  while (n < name.length) {
    if (p < pattern.length && (pattern[p] === "?" || pattern[p] === name[n])) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === "*") {
      starP = p++;
      starN = n;
    } else if (starP !== -1) {
      p = starP + 1;
      n = ++starN;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}
