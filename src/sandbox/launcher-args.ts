// The argument list that starts one sandbox: cl-launch's own flags (state, ids, limits,
// cgroup), then bwrap's namespaces and mounts, whose order matters. No process is started here.
import { lstatSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import type { SandboxCgroup } from "./cgroup-limits.ts";
import type { SandboxLimits, ToolchainMount } from "./types.ts";

/** Inside the sandbox: where our binaries and the network sockets appear. */
export const insideBin = "/run/closedloop/bin";
export const insideNet = "/run/closedloop/net";
export const insideUpper = "/run/closedloop/upper";

/** System folders, read-only; merged-/usr distributions have symlinks for /bin, /lib …. */
function systemMounts(): string[] {
  const args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"];
  for (const top of ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt"]) {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(top);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push("--symlink", readlinkSync(top), top);
    else if (st.isDirectory()) args.push("--ro-bind", top, top);
  }
  return args;
}

function isFileOrLink(path: string): boolean {
  try {
    return !lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

export interface LauncherArgsOptions {
  /** The bubblewrap binary cl-launch execs. */
  bwrap: string;
  stateDir: string;
  binDir: string;
  workspace: string;
  home: string;
  homeMounts: ToolchainMount[];
  uid: number;
  gid: number;
  limits: SandboxLimits;
  cgroup: SandboxCgroup | null;
  /** Workspace-relative paths bound read-only over the workspace (checked: real, no links). */
  readOnlyPaths?: readonly string[];
  /** As root: the workspace owner the sandbox uid is mapped from. */
  idmapFrom?: { uid: number; gid: number };
}

/** Whether the agent throttles the CPU share itself: no cgroup, and a share to hold. */
export function cpuThrottled(cgroup: SandboxCgroup | null, limits: SandboxLimits): boolean {
  return !cgroup && Number.isFinite(limits.cpuCores) && limits.cpuCores > 0;
}

/** cl-launch's arguments, ending in the bwrap command line it runs (seccomp program on fd 3). */
export function buildLauncherArgs(options: LauncherArgsOptions): string[] {
  const { stateDir, binDir, workspace, home, homeMounts, uid, gid, limits, cgroup, idmapFrom } = options;
  const readOnly = options.readOnlyPaths ?? [];
  // No single file may be larger than the disk budget: a sparse file would otherwise take no
  // disk yet cost its full size to read into a patch.
  // POSIX message queues are kernel memory outside every tmpfs: Linux's own default, explicitly.
  const rlimits = ["core=0", `fsize=${limits.diskBytes}`, `nofile=${limits.openFiles}`, "msgqueue=819200"];
  if (!cgroup) {
    rlimits.push(`data=${limits.memoryBytes}`, `nproc=${limits.maxProcesses}`);
  }

  const bwrapArgs = [
    "--unshare-user",
    "--unshare-pid",
    // The agent itself is PID 1: no bwrap init inside shares the channel's descriptors (an
    // init running as the sandbox uid, dumpable, could be made to write forged frames through
    // /proc/1/mem), and as PID 1 it ignores the signals sandboxed code may send it. It reaps
    // orphans itself; when it exits the kernel ends every process in the namespace.
    "--as-pid-1",
    "--unshare-ipc",
    "--unshare-uts",
    "--unshare-cgroup",
    "--unshare-net",
    "--die-with-parent",
    "--new-session",
    "--disable-userns",
    "--hostname",
    "closedloop",
    ...systemMounts(),
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--bind",
    join(stateDir, "shm"),
    "/dev/shm",
    // Every writable place is on the writable layer's tmpfs (sized by the disk limit):
    // /tmp, /var/tmp, /run and HOME; / and /dev are made read-only below.
    "--bind",
    join(stateDir, "layer", "tmp"),
    "/tmp",
    "--bind",
    join(stateDir, "layer", "var-tmp"),
    "/var/tmp",
    "--symlink",
    "../run",
    "/var/run",
    "--bind",
    join(stateDir, "layer", "run"),
    "/run",
    "--bind",
    join(stateDir, "layer", "home"),
    home,
    ...homeMounts.flatMap((m, i) => ["--ro-bind", join(stateDir, "tools", String(i)), m.path]),
    "--ro-bind",
    binDir,
    insideBin,
    "--ro-bind",
    join(stateDir, "net"),
    insideNet,
    // The writable layer, read-only, so diff can find what changed from inside (cl-export).
    "--ro-bind",
    join(stateDir, "layer", "upper"),
    insideUpper,
    "--bind",
    join(stateDir, "merged"),
    workspace,
    // closedloop's own run records (trajectories, patches) stay out of the model's reach.
    ...(isFileOrLink(join(workspace, ".closedloop"))
      ? []
      : ["--bind", join(stateDir, "layer", "hidden"), join(workspace, ".closedloop")]),
    // Each bound from the overlay over itself, read-only: still the user's copy at boot,
    // and a mount point, so it can be neither changed nor moved aside and replaced.
    ...readOnly.flatMap((rel) => ["--ro-bind", join(stateDir, "merged", rel), join(workspace, rel)]),
    // bwrap's tmpfs for / and /dev have no size limit: after the mounts above they are
    // read-only (not recursively, so the mounts on them keep their own flags).
    "--remount-ro",
    "/dev",
    "--remount-ro",
    "/",
    "--chdir",
    workspace,
    "--seccomp",
    "3",
    `${insideBin}/cl-agent`,
    // Preloaded into every command it starts, so that none can write another's memory or
    // open its fds through /proc (the agent refuses to start without it).
    "--preload",
    `${insideBin}/cl-nodump.so`,
    // No cgroup holds the CPU share: the agent (PID 1, seeing every process inside) stops
    // and continues the sandbox's processes to keep it (native/cl-throttle.h).
    ...(cpuThrottled(cgroup, limits) ? ["--cpu-share", String(limits.cpuCores)] : []),
  ];
  return [
    "--state",
    stateDir,
    "--lower",
    workspace,
    "--uid",
    String(uid),
    "--gid",
    String(gid),
    "--disk",
    String(limits.diskBytes),
    "--shm",
    String(limits.shmBytes),
    ...(idmapFrom ? ["--idmap-from", `${idmapFrom.uid}:${idmapFrom.gid}`] : []),
    ...(cgroup?.procsFiles.flatMap((f) => ["--cgroup", f]) ?? []),
    ...homeMounts.flatMap((m) => ["--tool", m.path]),
    ...rlimits.flatMap((r) => ["--rlimit", r]),
    "--",
    options.bwrap,
    ...bwrapArgs,
  ];
}
