// Maps a path given to readFile/writeFile/list onto the directory that holds the sandbox's
// files, and refuses anything that lands outside it: `..`, absolute paths elsewhere, and
// symlinks (also dangling ones, which a write would follow) that point out.
import { lstat, readlink, realpath } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { PathOutsideWorkspaceError } from "./errors.ts";

/**
 * @param root  host directory holding the sandbox's view of the workspace
 * @param path  relative to the workspace, or absolute under `root` or one of `aliases`
 * @param aliases other absolute names of the same directory (the path commands inside see)
 */
export async function resolveWorkspacePath(
  root: string,
  path: string,
  aliases: string[] = [],
): Promise<string> {
  let rel: string | undefined;
  if (isAbsolute(path)) {
    for (const base of [root, ...aliases]) {
      if (isInside(resolve(path), base)) {
        rel = relative(base, resolve(path));
        break;
      }
    }
  } else if (isInside(resolve(root, path), root)) {
    rel = relative(root, resolve(root, path));
  }
  if (rel === undefined) throw outside(path);
  const target = join(root, rel);
  const realRoot = await realpath(root);
  if (!(await resolvesInside(target, realRoot, 0))) throw outside(path);
  return target;
}

function outside(path: string): PathOutsideWorkspaceError {
  return new PathOutsideWorkspaceError(
    `${path} is outside the workspace; use a path relative to the workspace root`,
  );
}

export function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/** Follows symlinks the way the kernel would on open/create, and checks where they end. */
async function resolvesInside(path: string, realRoot: string, depth: number): Promise<boolean> {
  if (depth > 40) return false;
  try {
    return isInside(await realpath(path), realRoot);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") return false;
  }
  const st = await lstat(path).catch(() => undefined);
  if (st?.isSymbolicLink()) {
    // Dangling link: a write would create its target, so the target must be inside too.
    const target = resolve(dirname(path), await readlink(path));
    return resolvesInside(target, realRoot, depth + 1);
  }
  const parent = dirname(path);
  if (parent === path) return false;
  return resolvesInside(parent, realRoot, depth + 1);
}
