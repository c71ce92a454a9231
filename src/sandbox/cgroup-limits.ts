// Per-sandbox cgroups for memory, process count and CPU share. cgroup v2 is what
// most machines have; v1 controllers are still common in containers and CI (this one has
// both, with the v2 hierarchy empty), so the version is detected at run time, per
// controller directory that we can actually write to. When neither works, the caller
// falls back to rlimits and reports that — never a silent downgrade. Nothing freezes a
// sandbox any more (diffs are read inside, through the agent), so no freezer cgroup is made:
// joining a v1 controller costs a task migration at every start. The freezer hierarchy is
// still swept, for leftovers of versions that froze.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isProcessAlive } from "../util/index.ts";
import type { LimitMechanism, SandboxLimits } from "./types.ts";

const cgroupRoot = "/sys/fs/cgroup";
const prefix = "closedloop-";
/** The controllers a sandbox joins; the layout also lists the freezer, for the sweep. */
const limitControllers = ["memory", "pids", "cpu"];

export interface SandboxCgroup {
  mechanism: Exclude<LimitMechanism, "rlimit" | "none">;
  /** Files the launcher writes its pid into (one per v1 controller, one for v2). */
  procsFiles: string[];
  /**
   * The kernel's counters of limit hits: `key N` lines in `file` (v2 memory.events oom_kill,
   * v1 memory.oom_control oom_kill; pids.events max on both), read before and after a command.
   */
  limitEvents: LimitEventCounter[];
  /** Kills whatever is left and removes the directories; safe to call twice. */
  remove(): Promise<void>;
}

export interface LimitEventCounter {
  limit: "memory" | "processes";
  file: string;
  key: string;
}

type Layout = { version: "v2"; parent: string } | { version: "v1"; parents: Record<string, string> };

let cachedLayout: Layout | null | undefined;

function ownPath(controller: string): string | undefined {
  for (const line of readFileSync("/proc/self/cgroup", "utf8").split("\n")) {
    const [, list, path] = line.split(":");
    if (list === undefined || path === undefined) continue;
    if (controller === "" ? list === "" : list.split(",").includes(controller)) return path;
  }
  return undefined;
}

function isWritableDir(dir: string): boolean {
  const probe = join(dir, `${prefix}probe-${process.pid}`);
  try {
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
}

function detectLayout(): Layout | null {
  const unified = existsSync(join(cgroupRoot, "cgroup.controllers")) ? cgroupRoot : undefined;
  if (unified) {
    const controllers = readFileSync(join(unified, "cgroup.controllers"), "utf8");
    const own = ownPath("") ?? "/";
    // Root may create under the hierarchy root (exempt from the no-internal-processes rule);
    // a user needs a delegated subtree, which is where its own cgroup's parent is writable.
    const candidates = [unified, join(unified, own, "..")];
    for (const parent of candidates) {
      if (!["memory", "pids", "cpu"].every((c) => controllers.includes(c))) break;
      if (!isWritableDir(parent)) continue;
      try {
        writeFileSync(join(parent, "cgroup.subtree_control"), "+memory +pids +cpu");
      } catch {
        continue;
      }
      return { version: "v2", parent };
    }
  }
  const parents: Record<string, string> = {};
  for (const controller of ["memory", "pids", "cpu", "freezer"]) {
    const base = join(cgroupRoot, controller);
    const own = ownPath(controller);
    if (!existsSync(join(base, "cgroup.procs")) || own === undefined) continue;
    const dir = join(base, own);
    if (isWritableDir(dir)) parents[controller] = dir;
  }
  if (parents.memory && parents.pids) return { version: "v1", parents };
  return null;
}

export function cgroupLayout(): Layout | null {
  if (cachedLayout === undefined) cachedLayout = detectLayout();
  return cachedLayout;
}

function write(file: string, value: string): void {
  writeFileSync(file, value);
}

function killAll(dir: string): void {
  try {
    for (const pid of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n")) {
      if (pid) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {}
      }
    }
  } catch {}
}

async function removeDir(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      rmdirSync(dir);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      killAll(dir);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** A fresh cgroup for one sandbox with its limits written, or null when none can be had. */
export function createSandboxCgroup(id: string, limits: SandboxLimits): SandboxCgroup | null {
  const layout = cgroupLayout();
  if (!layout) return null;
  const name = `${prefix}${id}`;
  const period = 100_000;
  const quota = Math.max(1000, Math.round(limits.cpuCores * period));
  if (layout.version === "v2") {
    const dir = join(layout.parent, name);
    mkdirSync(dir);
    write(join(dir, "memory.max"), String(limits.memoryBytes));
    if (existsSync(join(dir, "memory.swap.max"))) write(join(dir, "memory.swap.max"), "0");
    write(join(dir, "pids.max"), String(limits.maxProcesses));
    write(join(dir, "cpu.max"), `${quota} ${period}`);
    return {
      mechanism: "cgroup-v2",
      procsFiles: [join(dir, "cgroup.procs")],
      limitEvents: [
        { limit: "memory", file: join(dir, "memory.events"), key: "oom_kill" },
        { limit: "processes", file: join(dir, "pids.events"), key: "max" },
      ],
      async remove() {
        try {
          write(join(dir, "cgroup.kill"), "1");
        } catch {}
        await removeDir(dir);
      },
    };
  }
  const dirs: Record<string, string> = {};
  for (const [controller, parent] of Object.entries(layout.parents)) {
    if (!limitControllers.includes(controller)) continue;
    dirs[controller] = join(parent, name);
    mkdirSync(dirs[controller]);
  }
  const memory = dirs.memory!;
  // memsw must be raised after (and lowered before) the plain limit; set it so swap cannot
  // stretch the memory limit where swap accounting exists.
  write(join(memory, "memory.limit_in_bytes"), String(limits.memoryBytes));
  if (existsSync(join(memory, "memory.memsw.limit_in_bytes")))
    write(join(memory, "memory.memsw.limit_in_bytes"), String(limits.memoryBytes));
  write(join(dirs.pids!, "pids.max"), String(limits.maxProcesses));
  if (dirs.cpu) {
    write(join(dirs.cpu, "cpu.cfs_period_us"), String(period));
    write(join(dirs.cpu, "cpu.cfs_quota_us"), String(quota));
  }
  return {
    mechanism: "cgroup-v1",
    procsFiles: Object.values(dirs).map((d) => join(d, "cgroup.procs")),
    // memory.failcnt also counts limit hits that reclaim absorbed, so only oom_kill means a kill.
    limitEvents: [
      { limit: "memory", file: join(memory, "memory.oom_control"), key: "oom_kill" },
      { limit: "processes", file: join(dirs.pids!, "pids.events"), key: "max" },
    ],
    async remove() {
      for (const dir of Object.values(dirs)) killAll(dir);
      await Promise.all(Object.values(dirs).map((d) => removeDir(d)));
    },
  };
}

/** Lets a frozen cgroup run again (so its processes can take a SIGKILL); v1 or v2, if it has a freezer. */
function thawDir(dir: string): void {
  for (const [file, value] of [
    ["cgroup.freeze", "0"],
    ["freezer.state", "THAWED"],
  ] as const) {
    if (!existsSync(join(dir, file))) continue;
    try {
      write(join(dir, file), value);
    } catch {}
  }
}

/**
 * Removes cgroups left by sandboxes whose host process died. A host killed while its sandbox
 * was frozen leaves processes that cannot die (a frozen process does not act on SIGKILL,
 * not even the parent-death signal) in cgroups that rmdir refuses: so every leftover is
 * thawed first, then killed (cgroup.kill on v2, each pid on v1), then removed.
 */
export async function sweepStaleCgroups(): Promise<number> {
  const layout = cgroupLayout();
  if (!layout) return 0;
  const parents = layout.version === "v2" ? [layout.parent] : Object.values(layout.parents);
  const stale: string[] = [];
  for (const parent of parents) {
    let entries: string[];
    try {
      entries = readdirSync(parent);
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (!entry.startsWith(prefix)) continue;
      // Names are closedloop-<host pid>-<random> (or closedloop-probe-<pid>): only a dead
      // owner's cgroups are stale.
      const owner = Number(/^(?:probe-)?(\d+)/.exec(entry.slice(prefix.length))?.[1]);
      if (owner && isProcessAlive(owner)) continue;
      stale.push(join(parent, entry));
    }
  }
  // On v1 one sandbox has a directory per controller: thaw all of them before any kill.
  for (const dir of stale) thawDir(dir);
  for (const dir of stale) {
    try {
      write(join(dir, "cgroup.kill"), "1");
    } catch {}
    killAll(dir);
  }
  let removed = 0;
  for (const dir of stale) {
    await removeDir(dir);
    if (!existsSync(dir)) removed++;
  }
  return removed;
}
