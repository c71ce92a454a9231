// Which workspace paths the clean room binds read-only (sandbox policy readOnlyPaths): the
// protected files of the user's tree, as few binds as possible. A folder whose every entry
// is protected is bound whole, so that nothing can be added to it or moved in its place
// either; otherwise its protected files are bound one by one. Only paths that exist in the
// user's tree are listed: the candidate patch never carries protected files (they are
// filtered out before it is applied), so at boot each one is still the user's copy.
import { type Dirent, readdirSync } from "node:fs";
import { join, posix } from "node:path";
import type { Protection } from "./protection.ts";
import { listWorkspaceFiles } from "./test-helpers.ts";

/** Entries looked at per folder candidate before giving up on binding it whole. */
const maxEntriesPerFolder = 20_000;
/**
 * Installed packages are never bound whole, only the protected files named in them: runners
 * and bundlers keep caches there (node_modules/.vite, .cache), which must stay writable.
 */
const neverWhole = new Set(["node_modules", ".venv", "venv", ".git"]);

/**
 * @param files workspace-relative files of the user's tree (forward slashes), e.g. from
 *   listWorkspaceFiles; more may be on disk than listed (skipped folders, a cap)
 * @param isProtected whether a workspace-relative path decides how the verifier runs
 */
export function readOnlyCover(
  workspace: string,
  files: readonly string[],
  isProtected: (path: string) => boolean,
): string[] {
  const coverable = new Map<string, boolean>();
  const isCoverable = (dir: string): boolean => {
    let known = coverable.get(dir);
    if (known === undefined) {
      known =
        !dir.split("/").some((part) => neverWhole.has(part)) &&
        everyEntryProtected(workspace, dir, isProtected);
      coverable.set(dir, known);
    }
    return known;
  };
  const out = new Set<string>();
  for (const file of files) {
    if (!isProtected(file)) continue;
    const parts = file.split("/");
    let bound = file;
    // The highest folder (never the workspace itself) that holds only protected entries.
    for (let depth = 1; depth < parts.length; depth++) {
      const dir = parts.slice(0, depth).join("/");
      if (isCoverable(dir)) {
        bound = dir;
        break;
      }
    }
    out.add(bound);
  }
  return [...out].sort();
}

/** True when every file, link and folder under `dir` on disk is itself protected. */
function everyEntryProtected(
  workspace: string,
  dir: string,
  isProtected: (path: string) => boolean,
): boolean {
  let seen = 0;
  const walk = (rel: string): boolean => {
    let entries: Dirent[];
    try {
      entries = readdirSync(join(workspace, rel), { withFileTypes: true });
    } catch {
      return false;
    }
    if (entries.length === 0) return isProtected(rel) || isProtected(`${rel}/`);
    for (const entry of entries) {
      if (++seen > maxEntriesPerFolder) return false;
      const path = posix.join(rel, entry.name);
      if (entry.isDirectory() ? !walk(path) : !isProtected(path)) return false;
    }
    return true;
  };
  return walk(dir);
}

/**
 * The files to cover: the user's tree (bounded, without node_modules, .git, virtualenvs)
 * plus each protected path written out in full (a tsconfig's `extends` target inside
 * node_modules, say), whether or not the walk reached it.
 */
export function listProtectionSeeds(workspace: string, protection: Protection): string[] {
  const literal = protection.protect.filter((glob) => !/[*?[\]{}]/.test(glob) && !glob.endsWith("/"));
  return [...new Set([...listWorkspaceFiles(workspace), ...literal])];
}
