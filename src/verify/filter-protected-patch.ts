// What the clean room applies and the user is handed: the candidate patch minus every change
// to a protected path, so those files are the user's own whatever the model did to them.
import { type FilteredPatch, filterPatch } from "../patch/index.ts";
import { isProtectedPath } from "./match-glob.ts";

export function filterProtectedPatch(patch: string, protect: readonly string[]): FilteredPatch {
  return filterPatch(patch, (path) => isProtectedPath(protect, path));
}
