// The `local` backend: bubblewrap namespaces over an overlay of the user's tree, with a
// seccomp filter, cgroup (or rlimit) limits and a tiny agent inside that runs commands.
// Setup lives in local-instance.ts and the diff in diff-local-instance.ts; this file is the
// Sandbox interface on top of them.
// File operations go through the agent, i.e. run as the sandbox's own unprivileged uid
// inside its namespaces, so no symlink trick can make them touch a host file.
import { spawn } from "node:child_process";
import { existsSync, realpathSync, statSync } from "node:fs";
import { join, posix } from "node:path";
import { createAgentBackgroundProcess } from "./agent-background-process.ts";
import type { AgentExit } from "./agent-channel.ts";
import { endStraysScript } from "./end-strays.ts";
import { PathOutsideWorkspaceError, SandboxUnavailableError } from "./errors.ts";
import { limitsHitBetween, sampleLimits } from "./limit-events.ts";
import { bootLocalInstance, type LocalInstance } from "./local-instance.ts";
import { takeInstance, warmPoolKey } from "./local-warm-pool.ts";
import { parseNetRules } from "./net-rules.ts";
import { preflightLocal } from "./preflight.ts";
import type {
  BackgroundProcess,
  DirEntry,
  ExecOptions,
  ExecResult,
  Sandbox,
  SandboxInfo,
  SandboxLimits,
  SandboxPolicy,
} from "./types.ts";
import { defaultLimits, maxFileBytes } from "./types.ts";

const fileOpTimeoutMs = 30_000;

// Runs the user's command and reports the final working directory on fd 3, so `cd` sticks.
const cwdTrap = "trap 'pwd >&3 2>/dev/null' EXIT\n";

// Path checks done inside the sandbox: $1 the path, $2 the workspace.
const insideWorkspace = 'case "$p" in "$2"|"$2"/*) ;; *) exit 99;; esac';
const readScript = `p=$(realpath -m -- "$1"); ${insideWorkspace}; [ -e "$p" ] || exit 98; [ -d "$p" ] && exit 97; [ -f "$p" ] || exit 95; exec cat -- "$p"`;
const writeScript = `d=$(dirname -- "$1"); p=$(realpath -m -- "$d"); ${insideWorkspace}; mkdir -p -- "$d" || exit 98; if [ -L "$1" ]; then p=$(realpath -m -- "$1"); ${insideWorkspace}; fi; exec cat > "$1"`;
const listScript = `p=$(realpath -m -- "$1"); ${insideWorkspace}; [ -e "$p" ] || exit 98; [ -d "$p" ] || exit 96; exec find "$p" -mindepth 1 -maxdepth 1 -printf '%y\\t%s\\t%f\\0'`;

class LocalSandbox implements Sandbox {
  readonly info: SandboxInfo;
  private instance: LocalInstance;
  private cwd: string;
  private readonly background = new Set<BackgroundProcess>();
  private readonly exposed = new Set<{ close(): Promise<void> }>();
  private disposed = false;
  private readonly retiring: Promise<void>[] = [];

  constructor(
    private readonly policy: SandboxPolicy,
    private readonly limits: SandboxLimits,
    instance: LocalInstance,
  ) {
    this.instance = instance;
    this.cwd = policy.workspace;
    this.info = {
      backend: "local",
      id: instance.id,
      workspace: policy.workspace,
      limits,
      limitMechanism: instance.limitMechanism,
      cpuLimit: instance.cpuLimit,
      isolated: true,
      hostPid: instance.hostPid,
      toolchainMounts: instance.toolchainMounts,
      readOnlyPaths: instance.readOnlyPaths,
      unenforced: instance.unenforced,
    };
  }

  private live(): LocalInstance {
    if (this.disposed) throw new Error("this sandbox was disposed");
    return this.instance;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    const instance = this.live();
    const started = performance.now();
    const cwd = options.cwd ? posix.resolve(this.cwd, options.cwd) : this.cwd;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let control = "";
    const limitSources = { counters: instance.cgroup?.limitEvents ?? [], layerPath: instance.layerPath() };
    const before = sampleLimits(limitSources);
    const proc = instance.channel.spawn({
      argv: ["/bin/sh", "-c", cwdTrap + command],
      env: { ...instance.env, ...options.env },
      cwd,
      outputCap: this.limits.outputBytes,
      onStdout: (c) => {
        out.push(c);
        options.onStdout?.(c);
      },
      onStderr: (c) => {
        err.push(c);
        options.onStderr?.(c);
      },
      onControl: (c) => {
        if (control.length < 65_536) control += c.toString();
      },
    });
    if (options.stdin !== undefined) proc.writeStdin(Buffer.from(options.stdin));
    proc.endStdin();
    let timedOut = false;
    const timeoutMs = options.timeoutMs ?? this.limits.timeoutMs;
    const timer = setTimeout(() => {
      timedOut = true;
      proc.kill("SIGKILL");
    }, timeoutMs);
    const onAbort = () => proc.kill("SIGKILL");
    options.signal?.addEventListener("abort", onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    let exit: AgentExit;
    try {
      exit = await proc.exited;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
    const newCwd = control.trim().split("\n").pop();
    if (newCwd?.startsWith("/")) this.cwd = newCwd;
    const limitsHit = limitsHitBetween(before, sampleLimits(limitSources));
    if (timedOut) limitsHit.push("timeout");
    return {
      exitCode: exit.exitCode,
      signal: exit.signal,
      stdout: Buffer.concat(out).toString("utf8"),
      stderr: Buffer.concat(err).toString("utf8"),
      durationMs: performance.now() - started,
      timedOut,
      truncated: exit.outputBytes > this.limits.outputBytes,
      outputBytes: exit.outputBytes,
      cwd: this.cwd,
      ...(limitsHit.length > 0 ? { limitsHit } : {}),
    };
  }

  /** Runs one of the file scripts as the sandbox user; exit codes 97–99 are path errors. */
  private async fileOp(script: string, path: string, stdin?: Uint8Array): Promise<Buffer> {
    const instance = this.live();
    const ws = this.policy.workspace;
    const abs = posix.isAbsolute(path) ? posix.normalize(path) : posix.join(ws, path);
    if (abs !== ws && !abs.startsWith(`${ws}/`))
      throw new PathOutsideWorkspaceError(
        `${path} is outside the workspace; use a path relative to the workspace root`,
      );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const proc = instance.channel.spawn({
      argv: ["/bin/sh", "-c", script, "sh", abs, ws],
      env: { PATH: "/usr/bin:/bin" },
      cwd: "/",
      outputCap: maxFileBytes,
      onStdout: (c) => out.push(c),
      onStderr: (c) => err.push(c),
    });
    if (stdin) proc.writeStdin(stdin);
    proc.endStdin();
    // A file operation is quick or something is wrong (a device, a stuck filesystem).
    const timer = setTimeout(() => proc.kill("SIGKILL"), fileOpTimeoutMs);
    const exit = await proc.exited.finally(() => clearTimeout(timer));
    if (exit.signal === "SIGKILL") throw new Error(`reading or writing ${path} in the sandbox took too long`);
    if (exit.outputBytes > maxFileBytes)
      throw Object.assign(
        new Error(`${path} is larger than ${maxFileBytes / 1024 ** 2} MiB; read it in parts with a command`),
        {
          code: "EFBIG",
        },
      );
    if (exit.exitCode === 99)
      throw new PathOutsideWorkspaceError(`${path} resolves outside the workspace (through a symlink?)`);
    if (exit.exitCode === 98)
      throw Object.assign(new Error(`no such file or directory: ${path}`), { code: "ENOENT" });
    if (exit.exitCode === 95)
      throw Object.assign(new Error(`not a regular file: ${path}`), { code: "EINVAL" });
    if (exit.exitCode === 96) throw Object.assign(new Error(`not a directory: ${path}`), { code: "ENOTDIR" });
    if (exit.exitCode === 97) throw Object.assign(new Error(`is a directory: ${path}`), { code: "EISDIR" });
    if (exit.exitCode !== 0)
      throw new Error(
        `could not access ${path} in the sandbox: ${Buffer.concat(err).toString().trim() || exit.signal}`,
      );
    return Buffer.concat(out);
  }

  async readFile(path: string): Promise<Uint8Array> {
    return this.fileOp(readScript, path);
  }

  async writeFile(path: string, content: string | Uint8Array): Promise<void> {
    await this.fileOp(writeScript, path, Buffer.from(content));
  }

  async list(path = "."): Promise<DirEntry[]> {
    const raw = (await this.fileOp(listScript, path)).toString("utf8");
    const kinds: Record<string, DirEntry["type"]> = { f: "file", d: "dir", l: "symlink" };
    return raw
      .split("\0")
      .filter(Boolean)
      .map((line) => {
        const [kind, size, ...name] = line.split("\t");
        return { name: name.join("\t"), type: kinds[kind ?? ""] ?? "other", size: Number(size) };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async start(
    command: string,
    options: Omit<ExecOptions, "stdin" | "timeoutMs"> = {},
  ): Promise<BackgroundProcess> {
    const instance = this.live();
    const cwd = options.cwd ? posix.resolve(this.cwd, options.cwd) : this.cwd;
    const proc = createAgentBackgroundProcess({
      channel: instance.channel,
      command,
      cwd,
      env: { ...instance.env, ...options.env },
      outputCap: Number.MAX_SAFE_INTEGER,
      probe: (port) => this.isListening(port),
      onStdout: options.onStdout,
      onStderr: options.onStderr,
    });
    this.background.add(proc);
    void proc.exited.then(() => this.background.delete(proc));
    return proc;
  }

  /** Reads the sandbox's own /proc/net tables: is anything listening on `port` in there? */
  private async isListening(port: number): Promise<boolean> {
    const r = await this.fileOpRaw("cat /proc/net/tcp /proc/net/tcp6 2>/dev/null");
    const hex = port.toString(16).toUpperCase().padStart(4, "0");
    return r.split("\n").some((line) => {
      const cols = line.trim().split(/\s+/);
      return cols[1]?.endsWith(`:${hex}`) && cols[3] === "0A";
    });
  }

  private async fileOpRaw(script: string): Promise<string> {
    const out: Buffer[] = [];
    const proc = this.live().channel.spawn({
      argv: ["/bin/sh", "-c", script],
      env: { PATH: "/usr/bin:/bin" },
      cwd: "/",
      outputCap: 1 << 20,
      onStdout: (c) => out.push(c),
    });
    proc.endStdin();
    await proc.exited;
    return Buffer.concat(out).toString();
  }

  async exposePort(port: number): Promise<{ host: string; port: number; close(): Promise<void> }> {
    const instance = this.live();
    const inner = instance.innerPid();
    if (!inner) throw new SandboxUnavailableError("the sandbox is not running");
    const socketPath = join(instance.stateDir, `expose-${port}.sock`);
    const isRoot = process.getuid?.() === 0;
    const nsArgs = isRoot
      ? ["-t", String(inner), "--net"]
      : ["-t", String(inner), "--user", "--net", "--preserve-credentials"];
    const forwarder = spawn(
      "nsenter",
      [
        ...nsArgs,
        "--",
        // nsenter keeps the host's filesystem view, so it runs the host copy of the forwarder.
        preflightLocal().forwarder,
        "--exit-on-stdin-eof",
        `unix:${socketPath}=tcp:${port}`,
      ],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    await new Promise<void>((resolve, reject) => {
      let said = "";
      const timer = setTimeout(() => reject(new Error(`port bridge did not start: ${said}`)), 5000);
      forwarder.stdout.on("data", (c: Buffer) => {
        said += c.toString();
        if (said.includes("ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
      forwarder.stderr.on("data", (c: Buffer) => {
        said += c.toString();
      });
      forwarder.once("exit", () => {
        clearTimeout(timer);
        reject(new Error(`port bridge exited: ${said.trim()}`));
      });
    });
    const { startPortExposer } = await import("./port-exposer.ts");
    const exposer = await startPortExposer({ unixPath: socketPath });
    const handle = {
      host: exposer.host,
      port: exposer.port,
      close: async () => {
        this.exposed.delete(handle);
        await exposer.close();
        forwarder.stdin.end();
        forwarder.kill("SIGKILL");
      },
    };
    this.exposed.add(handle);
    return handle;
  }

  async endStrays(): Promise<void> {
    const relay = this.live().relayPid;
    await this.exec(endStraysScript(relay ? [relay] : []), { timeoutMs: 10_000 });
  }

  async diff(): Promise<string> {
    const instance = this.live();
    const { diffLocalInstance } = await import("./diff-local-instance.ts");
    return diffLocalInstance(instance, this.policy.workspace, this.limits.diskBytes);
  }

  async reset(): Promise<void> {
    const old = this.live();
    await this.stopChildren();
    const next = await takeInstance(warmPoolKey(this.policy, this.limits), () =>
      bootLocalInstance({ policy: this.policy, limits: this.limits, tools: preflightLocal() }),
    );
    this.instance = next;
    this.cwd = this.policy.workspace;
    Object.assign(this.info, { id: next.id, hostPid: next.hostPid });
    // The old layer goes away in the background (its namespaces share nothing with the new
    // one); dispose() waits for it.
    this.retiring.push(old.stop());
  }

  private async stopChildren(): Promise<void> {
    await Promise.all([...this.exposed].map((e) => e.close().catch(() => {})));
    await Promise.all([...this.background].map((b) => b.kill().catch(() => {})));
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    await this.stopChildren();
    this.disposed = true;
    await Promise.all([this.instance.stop(), ...this.retiring]);
  }
}

export async function createLocalSandbox(policy: SandboxPolicy): Promise<Sandbox> {
  const tools = preflightLocal();
  if (!existsSync(policy.workspace) || !statSync(policy.workspace).isDirectory())
    throw new SandboxUnavailableError(`the workspace ${policy.workspace} is not a directory`);
  parseNetRules(policy.allowNet ?? []); // a bad rule is a user error before anything starts
  for (const port of policy.allowHostPorts ?? [])
    if (!Number.isInteger(port) || port < 1 || port > 65_535)
      throw new SandboxUnavailableError(`--allow-host-port wants a TCP port from 1 to 65535, not ${port}`);
  // The sandbox shows the tree at its real path, so error messages name real files.
  const real = { ...policy, workspace: realpathSync.native(policy.workspace) };
  const limits: SandboxLimits = { ...defaultLimits, ...policy.limits };
  const instance = await takeInstance(warmPoolKey(real, limits), () =>
    bootLocalInstance({ policy: real, limits, tools }),
  );
  return new LocalSandbox(real, limits, instance);
}
