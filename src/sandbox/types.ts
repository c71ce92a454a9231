// The one Sandbox interface every other module uses. Backends (`local`, `process`, later
// gVisor or remote) implement it; the shared contract suite in `contract.test-suite.ts`
// runs against each of them.

export type BackendName = "local" | "process";

/** What a sandbox may do. Everything not granted here is denied. */
export interface SandboxPolicy {
  /** Host directory the sandbox sees (copy-on-write) at the same absolute path. */
  workspace: string;
  backend: BackendName;
  /** Host names (exact or `*.suffix`) reachable through the egress proxy. Default: none. */
  allowNet?: string[];
  /** Host loopback TCP ports exposed inside the sandbox on the same port. Default: none. */
  allowHostPorts?: number[];
  /** Names of host environment variables passed through on top of the allowlist. */
  env?: string[];
  /** Extra variables set inside (not taken from the host). */
  setEnv?: Record<string, string>;
  limits?: Partial<SandboxLimits>;
  /**
   * Workspace-relative files and folders that nothing inside may write, remove, rename or
   * replace (local backend: bound read-only over the workspace; symlinked paths and paths
   * missing from the user's tree are skipped). The `process` backend isolates nothing.
   */
  readOnlyPaths?: string[];
  /** Called for every network attempt through the proxy or a host-port bridge. */
  onNetEvent?: (event: NetEvent) => void;
  /**
   * Keep a booted spare for a policy that is used repeatedly, so the next create/reset is
   * instant (local backend; default true; never for policies with network rules).
   */
  warmPool?: boolean;
  /** Suppress the backend's warnings on stderr (the `process` backend's no-isolation notice); for tests. */
  quiet?: boolean;
}

export interface SandboxLimits {
  memoryBytes: number;
  maxProcesses: number;
  /**
   * Open files per process (RLIMIT_NOFILE, soft = hard). With `maxProcesses` it bounds the
   * sandbox's total: at most maxProcesses × openFiles of the system's file table.
   */
  openFiles: number;
  /** CPU share as a fraction of one core (1 = one full core). */
  cpuCores: number;
  /** Bytes that may be written into the sandbox's writable layer (and /tmp). */
  diskBytes: number;
  shmBytes: number;
  /** Bytes of stdout+stderr kept per command; the rest is counted and dropped. */
  outputBytes: number;
  /** Default wall time per command. */
  timeoutMs: number;
}

/** The largest file the sandbox hands over, read or diffed. */
export const maxFileBytes = 64 * 1024 ** 2;

export const defaultLimits: SandboxLimits = {
  memoryBytes: 2 * 1024 ** 3,
  maxProcesses: 1024,
  openFiles: 4096,
  cpuCores: 1,
  diskBytes: 1024 ** 3,
  shmBytes: 64 * 1024 ** 2,
  outputBytes: 8 * 1024 ** 2,
  timeoutMs: 120_000,
};

/** Which mechanism enforces the limits, reported so nothing is a silent downgrade. */
export type LimitMechanism = "cgroup-v2" | "cgroup-v1" | "rlimit" | "none";

/**
 * How the CPU share is held: "cgroup" (the CPU controller's quota); "throttle" (no cgroup, the
 * rlimit mechanism: the sandbox's agent, its PID 1, stops and continues every process inside
 * to keep the share over 100 ms – 1 s, as cpulimit does); "none" (the process backend).
 */
export type CpuLimit = "cgroup" | "throttle" | "none";

export interface NetEvent {
  kind: "proxy" | "host-port";
  host: string;
  port: number;
  /** "failed": allowed, but the upstream broke (refused, reset, answered garbage); the client got a 502. */
  decision: "allowed" | "denied" | "failed";
  /** The rule that matched, why it was denied, or what went wrong upstream. */
  rule: string;
  at: number;
}

export interface ExecOptions {
  /** Working directory; relative paths resolve against the sandbox's current directory. */
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string | Uint8Array;
  timeoutMs?: number;
  signal?: AbortSignal;
  onStdout?: (chunk: Uint8Array) => void;
  onStderr?: (chunk: Uint8Array) => void;
}

export interface ExecResult {
  /** Exit code, or null when the command ended by a signal. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  /** True when output passed `outputBytes` and the rest was dropped. */
  truncated: boolean;
  /** Total bytes the command wrote, kept or not. */
  outputBytes: number;
  /** Working directory after the command (a `cd` sticks for the next command). */
  cwd: string;
  /**
   * The sandbox's limits this command ran into, as the kernel reports them (see
   * limit-events.ts): absent when none was hit or the backend cannot know (process backend).
   */
  limitsHit?: LimitName[];
}

/**
 * A limit that can stop a command: "memory" (a process was OOM-killed), "processes" (a fork
 * failed at the process cap), "disk" (the writable layer filled up), "timeout" (killed at its
 * wall time). Output past `outputBytes` is only dropped, never a stop: that is `truncated`.
 */
export type LimitName = "memory" | "processes" | "disk" | "timeout";

export interface DirEntry {
  name: string;
  type: "file" | "dir" | "symlink" | "other";
  size: number;
}

export interface BackgroundProcess {
  readonly id: string;
  readonly command: string;
  /** Everything the process wrote so far (stdout and stderr interleaved, bounded). */
  logs(): string;
  onLog(listener: (line: string, stream: "stdout" | "stderr") => void): () => void;
  /** Resolves when something accepts TCP connections on `port` inside the sandbox. */
  waitForPort(port: number, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit once the process ends. */
  readonly exited: Promise<{ exitCode: number | null; signal: string | null }>;
  isRunning(): boolean;
  kill(): Promise<void>;
}

/** A host folder or file bound read-only into a sandbox that hides the home, and why. */
export interface ToolchainMount {
  /** Host path, seen at the same path inside. */
  path: string;
  kind: "dir" | "file";
  reason: string;
}

export interface SandboxInfo {
  backend: BackendName;
  id: string;
  workspace: string;
  limits: SandboxLimits;
  limitMechanism: LimitMechanism;
  /** How `limits.cpuCores` is held (the rlimit mechanism has no CPU rlimit of its own). */
  cpuLimit?: CpuLimit;
  isolated: boolean;
  /** Host pid of the sandbox's outermost process, when there is one (for measuring). */
  hostPid?: number;
  /** What of the host's home (toolchains only) the sandbox sees, each with its reason. */
  toolchainMounts?: readonly ToolchainMount[];
  /** The workspace paths bound read-only (policy.readOnlyPaths as they were found). */
  readOnlyPaths?: readonly string[];
  /** Limits this mechanism cannot enforce here, each with why: said, never silently dropped. */
  unenforced?: readonly UnenforcedLimit[];
}

export interface UnenforcedLimit {
  limit: keyof SandboxLimits;
  why: string;
}

export interface Sandbox {
  readonly info: SandboxInfo;
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Paths are relative to the workspace (or absolute inside it). */
  readFile(path: string): Promise<Uint8Array>;
  writeFile(path: string, content: string | Uint8Array): Promise<void>;
  list(path?: string): Promise<DirEntry[]>;
  start(command: string, options?: Omit<ExecOptions, "stdin" | "timeoutMs">): Promise<BackgroundProcess>;
  /**
   * Makes a TCP port that something listens on *inside* the sandbox reachable from the host
   * (for the browser probe). Returns the host-side address; `close()` removes the bridge.
   */
  exposePort(port: number): Promise<{ host: string; port: number; close(): Promise<void> }>;
  /** A `git apply`-able unified diff of everything changed against the baseline. */
  diff(): Promise<string>;
  /**
   * Ends every process earlier commands left running, background ones and detached ones
   * (setsid) alike, so the next command starts with nothing of theirs alive. The `process`
   * backend can end only the processes it started; one that detached is beyond it.
   */
  endStrays(): Promise<void>;
  /** Back to the clean baseline; background processes are stopped. */
  reset(): Promise<void>;
  /** Nothing left running, mounted or on disk. Safe to call twice. */
  dispose(): Promise<void>;
}
