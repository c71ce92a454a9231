// What changed in a local sandbox, found from its overlay's writable layer so the cost
// follows the size of the change, not of the workspace; and a safe copy of the changed
// entries for diffing. The copy never follows a symlink: reading through the sandbox's
// view as a privileged host process, a symlink (or a symlinked parent folder) planted by
// sandboxed code would otherwise pull a host file into the patch. The caller freezes the
// sandbox meanwhile, so nothing can swap a path between our check and our read.
import type { Dirent } from "node:fs";
import { chmod, copyFile, lstat, mkdir, readdir, readlink, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";

async function names(dir: string): Promise<Set<string>> {
  try {
    return new Set(await readdir(dir));
  } catch {
    return new Set();
  }
}

/**
 * Relative paths that may differ between `lower` (the user's tree) and `merged` (the
 * sandbox's view): every non-folder entry of the writable layer `upper`, and for every
 * folder there, the lower entries that are gone from the merged view (deleted through a
 * whiteout, or hidden by a folder that was removed and made again).
 */
export async function changedPaths(upper: string, lower: string, merged: string): Promise<string[]> {
  const out: string[] = [];
  async function visit(rel: string): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(join(upper, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await visit(path);
      else if (!entry.isCharacterDevice()) out.push(path); // whiteouts are found below
    }
    const inMerged = await names(join(merged, rel));
    for (const name of await names(join(lower, rel))) {
      if (!inMerged.has(name)) out.push(rel ? `${rel}/${name}` : name);
    }
  }
  await visit("");
  return out.filter((p) => !/^\.(git|closedloop)(\/|$)/.test(p));
}

/** True when every folder on the way from `root` to `rel` is a real folder, not a link. */
async function hasPlainParents(root: string, rel: string): Promise<boolean> {
  const parts = rel.split("/").slice(0, -1);
  let at = root;
  for (const part of parts) {
    at = join(at, part);
    try {
      if (!(await lstat(at)).isDirectory()) return false;
    } catch {
      return false;
    }
  }
  return true;
}

async function copyEntry(from: string, to: string, depth: number): Promise<void> {
  const st = await lstat(from);
  await mkdir(dirname(to), { recursive: true });
  if (st.isSymbolicLink()) await symlink(await readlink(from), to);
  else if (st.isFile()) {
    await copyFile(from, to);
    await chmod(to, st.mode & 0o777);
  } else if (st.isDirectory() && depth < 64) {
    await mkdir(to, { recursive: true });
    for (const name of await readdir(from)) await copyEntry(join(from, name), join(to, name), depth + 1);
  }
}

/**
 * Copies `paths` from `root` into `stage`, skipping anything reached through a symlinked
 * folder. Files over `maxFileBytes` are not copied (a sparse file can claim gigabytes while
 * using no disk); they are returned so the caller can say so, and left out of the patch.
 */
export async function stageEntries(
  root: string,
  paths: string[],
  stage: string,
  maxFileBytes: number,
): Promise<{ tooLarge: { path: string; bytes: number }[] }> {
  const tooLarge: { path: string; bytes: number }[] = [];
  for (const rel of paths) {
    if (!(await hasPlainParents(root, rel))) continue; // not there in the merged view, as far as a patch goes
    try {
      const st = await lstat(join(root, rel));
      if (st.isFile() && st.size > maxFileBytes) {
        tooLarge.push({ path: rel, bytes: st.size });
        continue;
      }
      await copyEntry(join(root, rel), join(stage, rel), 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return { tooLarge };
}
