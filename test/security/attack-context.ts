// What an attack gets to work with: a way to make sandboxes over the battery's workspace
// (with small explicit limits), the host fixture it tries to reach, and host-side targets
// made on demand (a process to kill or trace, a terminal to inject into, a SysV segment).
// Everything made here is torn down by `closeContext`, whatever the attack did.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import {
  type BackendName,
  createSandbox,
  type ExecOptions,
  type ExecResult,
  type Sandbox,
  type SandboxLimits,
  type SandboxPolicy,
} from "../../src/sandbox/index.ts";
import type { HostFixture } from "./host-fixture.ts";

export type AttackCategory =
  | "files"
  | "secrets"
  | "network"
  | "processes"
  | "devices"
  | "resources"
  | "kernel"
  | "channel";

export interface AttackOutcome {
  /** True when the attack got what it wanted (read, wrote, reached, outgrew, outlived). */
  escaped: boolean;
  /** What was observed, short; never real key material. */
  evidence: string;
  /**
   * Set only when the sandbox itself reports (SandboxInfo.unenforced) that the limit this
   * attack tests is not enforced here: a disclosed gap, shown as such, never called "held".
   */
  gap?: string;
}

export interface Attack {
  id: string;
  category: AttackCategory;
  /** A sentence saying what must hold; also the node:test name. */
  title: string;
  /**
   * Backends the attack means something on (default: all). An attack on the local backend's
   * own machinery (its agent, its PID 1) has no target on `process`, where the same payload
   * would hit the host's real processes; it is shown real against the code before its fix.
   */
  appliesTo?: BackendName[];
  run(ctx: AttackContext): Promise<AttackOutcome>;
}

export interface HostProcess {
  readonly pid: number;
  isAlive(): boolean;
}

export interface AttackContext {
  readonly backend: BackendName;
  readonly fixture: HostFixture;
  readonly limits: SandboxLimits;
  /** Unique per attack run; servers record it when it reaches them. */
  readonly token: string;
  sandbox(overrides?: Partial<SandboxPolicy>): Promise<Sandbox>;
  /** Runs a shell command, never throwing: a refused command is an outcome. */
  sh(sb: Sandbox, command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Shell words that run a compiled payload with the run's marker as its last argument. */
  payload(binary: "probe" | "bomb" | "forge", ...args: (string | number)[]): string;
  hostProcess(): HostProcess;
  /** A pseudo-terminal on the host with a process sitting in it; returns the slave path. */
  hostPty(): Promise<string>;
  /** A SysV shared memory segment on the host; returns its key. */
  hostSysvKey(): number;
}

/** Small explicit limits: the battery must never hurt this 2-core machine. */
export const batteryLimits: SandboxLimits = {
  memoryBytes: 256 * 1024 ** 2,
  maxProcesses: 256,
  openFiles: 1024,
  cpuCores: 0.5,
  diskBytes: 64 * 1024 ** 2,
  shmBytes: 16 * 1024 ** 2,
  outputBytes: 1024 ** 2,
  timeoutMs: 10_000,
};

export interface OpenContext {
  ctx: AttackContext;
  sandboxes: Sandbox[];
  close(): Promise<void>;
}

function waitFor(check: () => string | undefined, timeoutMs: number): Promise<string> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const v = check();
      if (v) resolve(v);
      else if (Date.now() - start > timeoutMs) reject(new Error("timed out waiting on the host"));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

export function openContext(backend: BackendName, fixture: HostFixture, attackId: string): OpenContext {
  const sandboxes: Sandbox[] = [];
  const children: ChildProcess[] = [];
  const shmIds: string[] = [];
  const token = `tok-${attackId}-${randomBytes(4).toString("hex")}`;
  const ctx: AttackContext = {
    backend,
    fixture,
    limits: batteryLimits,
    token,
    async sandbox(overrides = {}) {
      const sb = await createSandbox({
        workspace: fixture.workspace,
        backend,
        quiet: true,
        ...overrides,
        limits: { ...batteryLimits, ...overrides.limits },
      });
      sandboxes.push(sb);
      return sb;
    },
    async sh(sb, command, options = {}) {
      try {
        return await sb.exec(command, options);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return {
          exitCode: 126,
          signal: null,
          stdout: "",
          stderr: `exec threw: ${message}`,
          durationMs: 0,
          timedOut: false,
          truncated: false,
          outputBytes: 0,
          cwd: "",
        };
      }
    },
    payload(binary, ...args) {
      const bin = { probe: fixture.probe, bomb: fixture.bomb, forge: fixture.forge }[binary];
      return [bin, ...args.map((a) => `'${String(a).replaceAll("'", "'\\''")}'`), fixture.marker].join(" ");
    },
    hostProcess() {
      // Its cwd and an open fd (3) are the host dir with the secret: a way in for anything
      // that can see host processes' /proc/<pid>/cwd or fd entries.
      const dirFd = openSync(fixture.hostDir, "r");
      const child = spawn("sleep", ["60"], {
        stdio: ["ignore", "ignore", "ignore", dirFd],
        cwd: fixture.hostDir,
      });
      closeSync(dirFd);
      children.push(child);
      const pid = child.pid!;
      return { pid, isAlive: () => child.exitCode === null && child.signalCode === null };
    },
    async hostPty() {
      // `script` gives the sleep a real pty; the slave path is read off the sleep's stdin.
      const child = spawn("script", ["-qfc", "sleep 60", "/dev/null"], {
        stdio: ["pipe", "ignore", "ignore"],
      });
      children.push(child);
      return waitFor(() => {
        for (const pid of childrenOf(child.pid!)) {
          try {
            const path = readlinkSync(`/proc/${pid}/fd/0`);
            if (path.startsWith("/dev/pts/")) return path;
          } catch {}
        }
        return undefined;
      }, 3000);
    },
    hostSysvKey() {
      const r = spawnSync("ipcmk", ["-M", "4096", "-p", "0600"], { encoding: "utf8" });
      const id = /(\d+)/.exec(r.stdout)?.[1];
      if (!id) throw new Error(`ipcmk failed: ${r.stderr}`);
      shmIds.push(id);
      // `ipcs -m` rows are "key shmid owner perms bytes nattch status".
      const rows = spawnSync("ipcs", ["-m"], { encoding: "utf8" }).stdout.split("\n");
      const key = rows.map((l) => l.trim().split(/\s+/)).find((c) => c[1] === id)?.[0];
      if (!key) throw new Error(`no key for SysV segment ${id}`);
      return Number(key);
    },
  };
  return {
    ctx,
    sandboxes,
    async close() {
      await Promise.allSettled(sandboxes.map((s) => s.dispose()));
      for (const c of children) {
        if (c.exitCode !== null || c.signalCode !== null) continue;
        for (const pid of childrenOf(c.pid!)) spawnSync("kill", ["-9", String(pid)]);
        c.kill("SIGKILL");
      }
      for (const id of shmIds) spawnSync("ipcrm", ["-m", id]);
    },
  };
}

/**
 * Host pids (other than this process) whose command line carries the run's marker;
 * with `comm`, only those whose executable name is one of the given ones.
 */
export function findMarkedProcesses(marker: string, comm?: string[]): number[] {
  const found: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${name}/cmdline`, "latin1").includes(marker)) continue;
      if (comm && !comm.includes(readFileSync(`/proc/${name}/comm`, "utf8").trim())) continue;
      found.push(Number(name));
    } catch {}
  }
  return found;
}
