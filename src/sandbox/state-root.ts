// Where the local backend keeps its host-side files: the staged helper binaries, and one
// state directory per sandbox (mount points, sockets, the seccomp program). A state dir is
// a dozen empty directories made at every start and removed at every end; on a journaled
// disk each rmdir costs milliseconds (tens of them per sandbox on a busy machine), on a
// memory filesystem microseconds. So state dirs go to a tmpfs when the machine has one
// only we can write to or that is meant for it (XDG_RUNTIME_DIR for a user; /run or
// /dev/shm for root), and to /tmp otherwise. The helpers stay where they always were:
// they are copied once, and a memory filesystem may be mounted noexec.
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  rmSync,
  statfsSync,
} from "node:fs";
import { join } from "node:path";
import { isProcessAlive } from "../util/index.ts";
import { SandboxUnavailableError } from "./errors.ts";

const tmpfsMagic = 0x01021994;
const uid = process.getuid?.() ?? 0;
const isRoot = uid === 0;
const userRuntime = process.env.XDG_RUNTIME_DIR && !isRoot ? process.env.XDG_RUNTIME_DIR : undefined;

/** Where the staged helpers live (and, before state dirs moved, every state dir). */
export const helperRoot = join(userRuntime ?? "/tmp", `closedloop-${uid}`);

/** A writable tmpfs (a read-only /dev/shm in a locked-down container does not count). */
function isWritableTmpfs(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return statfsSync(dir).type === tmpfsMagic;
  } catch {
    return false;
  }
}

let chosen: string | undefined;

/** The folder that holds this user's sandbox state dirs (`sbx-<host pid>-<random>`). */
export function stateRoot(): string {
  if (chosen) return chosen;
  // A user's runtime dir is already a private tmpfs; a user's files in /dev/shm may be
  // removed at logout (systemd's RemoveIPC), so users without one keep /tmp.
  const base = userRuntime ?? (isRoot ? ["/run", "/dev/shm"].find(isWritableTmpfs) : undefined) ?? "/tmp";
  chosen = join(base, `closedloop-${uid}`);
  return chosen;
}

/**
 * Makes `dir` (mode 0711) and checks it is ours: a folder someone else made first in a
 * world-writable place (or a symlink planted there) would let them swap our files.
 */
export function ensureOwnedDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid)
    throw new SandboxUnavailableError(
      `${dir} is not a folder owned by this user (uid ${uid}); someone may have planted it: remove it and try again`,
    );
  if ((st.mode & 0o777) !== 0o711) chmodSync(dir, 0o711);
}

let swept = false;

/** Removes state dirs left by sandboxes whose host process died (once per process). */
export function sweepStaleStateDirs(): void {
  if (swept) return;
  swept = true;
  // The helper root held state dirs too before they moved: its leftovers go as well.
  for (const root of new Set([stateRoot(), helperRoot])) {
    if (!existsSync(root)) continue;
    for (const entry of readdirSync(root)) {
      const owner = Number(entry.match(/^sbx-(\d+)-/)?.[1]);
      if (owner && !isProcessAlive(owner)) rmSync(join(root, entry), { recursive: true, force: true });
    }
  }
}
