// The `process` backend's stand-in for a copy-on-write layer: a full copy of the user's tree
// plus a manifest of every entry's inode and ctime taken right after copying. The kernel
// bumps ctime on every content, mode or link change and userspace cannot set it back, so a
// stat walk tells exactly what a command touched: diff() looks only at those paths and
// reset() puts back only those, instead of copying the whole tree again. The walk is still
// O(entries); only the first copy is O(bytes). The walk is synchronous on purpose: tens of
// thousands of lstat calls through the libuv thread pool cost several times more.
import { execFile } from "node:child_process";
import type { BigIntStats } from "node:fs";
import { existsSync, lstatSync, readdirSync } from "node:fs";
import { chmod, lstat, mkdir, rm } from "node:fs/promises";
import { UserError } from "../util/index.ts";

type Kind = "file" | "dir" | "symlink" | "other";

interface ManifestEntry {
  kind: Kind;
  ino: bigint;
  ctimeNs: bigint;
  mode: number;
}

export interface WorkspaceChanges {
  /** Entries whose content, mode, link target or type changed. */
  changed: string[];
  /** Entries the command created (a new directory is listed once, not its contents). */
  added: string[];
  /** Entries the command removed (a removed directory is listed once). */
  removed: string[];
}

export interface WorkspaceCopy {
  readonly dir: string;
  changes(): Promise<WorkspaceChanges>;
  /** Back to the user's tree as it is now, touching only what changed. */
  restore(): Promise<void>;
}

/** cp's argument list is chunked to stay far below the kernel's limit. */
const cpBatch = 500;

export async function createWorkspaceCopy(from: string, to: string): Promise<WorkspaceCopy> {
  await cp(from, ["-a", "--reflink=auto", "--", `${from}/.`, to]);
  const manifest = new Map<string, ManifestEntry>();
  record(to, "", manifest);

  const changes = async (): Promise<WorkspaceChanges> => {
    const result: WorkspaceChanges = { changed: [], added: [], removed: [] };
    const seen = new Set<string>();
    const visit = (rel: string): void => {
      // A command may have removed the workspace root itself: then everything is removed.
      const names = rel || existsSync(to) ? readdirSync(rel ? `${to}/${rel}` : to) : [];
      for (const name of names) {
        const child = rel ? `${rel}/${name}` : name;
        const st = lstatSync(`${to}/${child}`, { bigint: true });
        const was = manifest.get(child);
        seen.add(child);
        if (!was) result.added.push(child);
        else if (was.kind !== kindOf(st)) result.changed.push(child);
        else if (was.kind === "dir") {
          if (Number(st.mode & 0o7777n) !== was.mode) result.changed.push(child);
          visit(child);
        } else if (st.ino !== was.ino || st.ctimeNs !== was.ctimeNs) result.changed.push(child);
      }
    };
    visit("");
    // Report only the top of a removed subtree; its contents go with it.
    const gone = [...manifest.keys()].filter((rel) => !seen.has(rel)).sort();
    const tops = result.changed.filter((rel) => manifest.get(rel)?.kind === "dir");
    for (const rel of gone) {
      if (![...tops, ...result.removed].some((top) => rel.startsWith(`${top}/`))) result.removed.push(rel);
    }
    return result;
  };

  return {
    dir: to,
    changes,
    async restore() {
      const { changed, added, removed } = await changes();
      const dirModeOnly: string[] = [];
      const replace: string[] = [];
      for (const rel of changed) {
        const was = manifest.get(rel)!;
        const st = await lstat(`${to}/${rel}`, { bigint: true });
        if (was.kind === "dir" && kindOf(st) === "dir") dirModeOnly.push(rel);
        else replace.push(rel);
      }
      for (const rel of [...added, ...replace]) await rm(`${to}/${rel}`, { recursive: true, force: true });
      for (const rel of dirModeOnly) await chmod(`${to}/${rel}`, manifest.get(rel)!.mode);
      await mkdir(to, { recursive: true });
      const copyBack: string[] = [];
      // What the user removed from their own tree meanwhile stays removed.
      for (const rel of [...replace, ...removed])
        if (await lstat(`${from}/${rel}`).catch(() => undefined)) copyBack.push(rel);
      for (let i = 0; i < copyBack.length; i += cpBatch) {
        const batch = copyBack.slice(i, i + cpBatch);
        // --parents recreates missing parent directories with the user's modes.
        await cp(from, ["-a", "--parents", "--reflink=auto", "-t", to, "--", ...batch], from);
      }
      for (const rel of [...replace, ...removed]) forget(manifest, rel);
      for (const rel of copyBack) {
        const st = await lstat(`${to}/${rel}`, { bigint: true }).catch(() => undefined);
        if (!st) continue; // gone from the user's tree too
        manifest.set(rel, entryOf(st));
        if (st.isDirectory()) record(to, rel, manifest);
      }
    },
  };
}

function kindOf(st: BigIntStats): Kind {
  return st.isFile() ? "file" : st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : "other";
}

function entryOf(st: BigIntStats): ManifestEntry {
  return { kind: kindOf(st), ino: st.ino, ctimeNs: st.ctimeNs, mode: Number(st.mode & 0o7777n) };
}

function record(root: string, rel: string, manifest: Map<string, ManifestEntry>): void {
  for (const name of readdirSync(rel ? `${root}/${rel}` : root)) {
    const child = rel ? `${rel}/${name}` : name;
    const st = lstatSync(`${root}/${child}`, { bigint: true });
    manifest.set(child, entryOf(st));
    if (st.isDirectory()) record(root, child, manifest);
  }
}

function forget(manifest: Map<string, ManifestEntry>, rel: string): void {
  const was = manifest.get(rel);
  manifest.delete(rel);
  if (was?.kind === "dir")
    for (const key of manifest.keys()) if (key.startsWith(`${rel}/`)) manifest.delete(key);
}

function cp(from: string, args: string[], cwd?: string): Promise<void> {
  return new Promise((done, fail) => {
    execFile("cp", args, { cwd, maxBuffer: 16 * 1024 ** 2 }, (error, _out, stderr) => {
      if (error)
        fail(new UserError(`could not copy the workspace ${from}: ${stderr.trim() || error.message}`));
      else done();
    });
  });
}
