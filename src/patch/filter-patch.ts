// Removes every file section of a git-style unified diff that touches a path the caller
// keeps for itself, so whoever applies the rest sees the original of those files whatever
// the patch did to them (edited, created, deleted, renamed away, replaced by a symlink or a
// binary). A section is dropped whole: a rename out of a kept path goes with its new name.
import { type PatchFile, parsePatchFiles } from "./parse-patch.ts";

export interface FilteredPatch {
  /** The patch with the dropped sections removed ("" when nothing is left). */
  patch: string;
  /** Paths whose changes were dropped, sorted. */
  restored: string[];
  /** Paths the remaining patch changes, sorted. */
  changed: string[];
}

/** Drops each section with a path for which `isDropped` says yes. Throws PatchFormatError. */
export function filterPatch(patch: string, isDropped: (path: string) => boolean): FilteredPatch {
  const { preamble, files } = parsePatchFiles(patch);
  const kept: PatchFile[] = [];
  const restored = new Set<string>();
  const changed = new Set<string>();
  for (const file of files) {
    const paths = [file.oldPath, file.newPath].filter((path): path is string => path !== null);
    const hit = paths.filter(isDropped);
    if (hit.length > 0) for (const path of hit) restored.add(path);
    else {
      kept.push(file);
      for (const path of paths) changed.add(path);
    }
  }
  return {
    patch: kept.length === 0 ? "" : preamble + kept.map((file) => file.text).join(""),
    restored: [...restored].sort(),
    changed: [...changed].sort(),
  };
}
