// Workspace paths a sandbox must not change: the local backend binds each one read-only
// over the workspace, so nothing inside can write, remove, rename or replace it (a mount
// point cannot be renamed or unlinked). The clean room uses this for the files that decide
// how the verifier runs, so the code under test cannot rewrite a test while the tests run.
import { lstatSync } from "node:fs";
import { join, posix } from "node:path";
import { SandboxUnavailableError } from "./errors.ts";

/** More binds than this is a caller's mistake (a cover should collapse folders), not a policy. */
export const maxReadOnlyPaths = 4096;

/**
 * The paths of `rels` that can be bound: each normalized, inside the workspace, present in
 * the user's tree, and reached through real folders only. A symlink anywhere on the way is
 * skipped, never followed: bwrap would bind its target, which may be a host file. Paths
 * below another listed folder are dropped (the folder's bind covers them).
 */
export function resolveReadOnlyPaths(workspace: string, rels: readonly string[]): string[] {
  const wanted = new Set<string>();
  for (const rel of rels) {
    const clean = posix.normalize(rel).replace(/\/+$/, "");
    if (clean === "" || clean === "." || clean.startsWith("/") || clean === ".." || clean.startsWith("../"))
      throw new SandboxUnavailableError(
        `readOnlyPaths wants paths inside the workspace, relative to it; got ${JSON.stringify(rel)}`,
      );
    // closedloop's own run records stay hidden (the sandbox binds an empty folder there).
    if (clean === ".closedloop" || clean.startsWith(".closedloop/")) continue;
    if (reachableWithoutLinks(workspace, clean)) wanted.add(clean);
  }
  const sorted = [...wanted].sort();
  const kept: string[] = [];
  for (const path of sorted) if (!kept.some((dir) => path.startsWith(`${dir}/`))) kept.push(path);
  if (kept.length > maxReadOnlyPaths)
    throw new SandboxUnavailableError(
      `${kept.length} read-only paths is more than the ${maxReadOnlyPaths} a sandbox binds; list their folders instead`,
    );
  return kept;
}

function reachableWithoutLinks(workspace: string, rel: string): boolean {
  const parts = rel.split("/");
  for (let i = 1; i <= parts.length; i++) {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(join(workspace, ...parts.slice(0, i)));
    } catch {
      return false; // not in the user's tree: nothing to keep as it was
    }
    const last = i === parts.length;
    if (last ? !(st.isFile() || st.isDirectory()) : !st.isDirectory()) return false;
  }
  return true;
}
