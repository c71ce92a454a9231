// Tool paths are relative to the workspace root (not the shell's current directory), so the
// same path means the same file whatever the model `cd`-ed into.
import { posix } from "node:path";
import type { Sandbox } from "../sandbox/index.ts";

/** Absolute path inside the sandbox for a path the model gave. */
export function resolveToolPath(sandbox: Sandbox, path: string): string {
  return posix.resolve(sandbox.info.workspace, path);
}

export function isInsideWorkspace(sandbox: Sandbox, path: string): boolean {
  const root = posix.resolve(sandbox.info.workspace);
  const full = resolveToolPath(sandbox, path);
  return full === root || full.startsWith(`${root}/`);
}

/** The path relative to the workspace root, for observations ("." for the root). */
export function displayPath(sandbox: Sandbox, path: string): string {
  if (!isInsideWorkspace(sandbox, path)) return path;
  return posix.relative(posix.resolve(sandbox.info.workspace), resolveToolPath(sandbox, path)) || ".";
}
