// One value for "may this path change?": the protected globs minus the paths the user opted
// out with --allow-edit, and the refusal the model reads when it writes one of them.
import { type FilteredPatch, filterPatch } from "../patch/index.ts";
import { isProtectedPath } from "./match-glob.ts";

export interface Protection {
  /** Protected globs (the user's --protect, fixed names and files derived from the project). */
  protect: readonly string[];
  /** Globs the user allows the model to change even though they are protected. */
  allowEdit: readonly string[];
}

export function isProtectedBy(protection: Protection, path: string): boolean {
  return isProtectedPath(protection.protect, path) && !isProtectedPath(protection.allowEdit, path);
}

/** The patch minus every change to a protected path: what the clean room applies and the user gets. */
export function filterProtectedPatch(patch: string, protection: Protection): FilteredPatch {
  return filterPatch(patch, (path) => isProtectedBy(protection, path));
}

const dependencyFiles =
  /(^|\/)(package\.json|package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|bun\.lockb?|Cargo\.(toml|lock)|go\.(mod|sum)|pyproject\.toml|poetry\.lock|uv\.lock|Pipfile(\.lock)?|setup\.(py|cfg))$/;

/** What the model is told when it changes protected files (undefined when none is). */
export function describeProtectedChange(
  protection: Protection,
  paths: readonly string[],
): string | undefined {
  const hit = [...new Set(paths)].filter((path) => isProtectedBy(protection, path)).sort();
  if (hit.length === 0) return undefined;
  const names = hit.join(", ");
  const lines = [
    `${names} ${hit.length === 1 ? "decides" : "decide"} how the verifier runs, so ${hit.length === 1 ? "it is" : "they are"} protected: the verifier always uses the user's copy, and a change here will not be used by the verifier. Fix the code under test instead.`,
  ];
  const deps = hit.filter((path) => dependencyFiles.test(path));
  if (deps.length > 0)
    lines.push(
      `If the fix really needs a new or changed dependency, say so in your done summary: the user can allow it with ${deps.map((p) => `--allow-edit ${p}`).join(" ")} (and the lockfile), and install it.`,
    );
  else lines.push(`Only the user can allow such a change (--allow-edit ${hit[0]}).`);
  return lines.join(" ");
}
