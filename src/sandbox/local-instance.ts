// One running bubblewrap sandbox: state directory, cgroup, launcher process, agent channel,
// network bridges. `LocalSandbox` owns one of these at a time; reset() throws it away and
// boots a new one, which costs a sandbox start and nothing that grows with the workspace.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomInt } from "node:crypto";
import {
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { raceTimeout } from "../util/index.ts";
import { AgentChannel } from "./agent-channel.ts";
import { createSandboxCgroup, type SandboxCgroup, sweepStaleCgroups } from "./cgroup-limits.ts";
import { SandboxUnavailableError } from "./errors.ts";
import { buildLauncherArgs, cpuThrottled, insideBin, insideNet } from "./launcher-args.ts";
import { explainStartFailure, type LocalToolchain } from "./preflight.ts";
import { resolveReadOnlyPaths } from "./read-only-paths.ts";
import { buildSandboxEnv } from "./sandbox-env.ts";
import { buildSeccompFilter } from "./seccomp-filter.ts";
import { stageHelpers } from "./stage-helpers.ts";
import { ensureOwnedDir, helperRoot, stateRoot, sweepStaleStateDirs } from "./state-root.ts";
import type {
  CpuLimit,
  LimitMechanism,
  SandboxLimits,
  SandboxPolicy,
  ToolchainMount,
  UnenforcedLimit,
} from "./types.ts";

/** The egress proxy's port on the sandbox's own loopback. */
export const proxyPort = 3128;

const isRoot = process.getuid?.() === 0;

export interface LocalInstance {
  id: string;
  stateDir: string;
  /** Host pid of the launcher (which became the outer bwrap process). */
  hostPid: number;
  channel: AgentChannel;
  env: Record<string, string>;
  home: string;
  uid: number;
  limitMechanism: LimitMechanism;
  cpuLimit: CpuLimit;
  cgroup: SandboxCgroup | null;
  /** The host folders of toolchains bound in read-only, and why. */
  toolchainMounts: ToolchainMount[];
  readOnlyPaths: string[];
  /** Pid inside of the network relay (cl-forward), when the sandbox has one. */
  relayPid?: number;
  /** Limits the rlimit fallback cannot hold (empty under a cgroup). */
  unenforced: UnenforcedLimit[];
  /** The sandbox's merged workspace and its writable layer, as the host can read them. */
  mergedPath(): string;
  upperPath(): string;
  /** The writable layer's tmpfs (the disk budget), as the host can reach it. */
  layerPath(): string;
  /** Host pid of a process inside the sandbox's namespaces (for nsenter). */
  innerPid(): number | undefined;
  stop(): Promise<void>;
}

let swept = false;

/** Removes state left by sandboxes whose host process died (once per process). */
async function sweepLeftovers(): Promise<void> {
  if (swept) return;
  swept = true;
  await sweepStaleCgroups();
  sweepStaleStateDirs();
}

/** Our helper binaries, staged once per version where the sandbox uid can reach them. */
function stageBinaries(tools: LocalToolchain): string {
  ensureOwnedDir(helperRoot);
  return stageHelpers(helperRoot, [tools.agent, tools.forwarder, tools.exporter, tools.nodump]);
}

export interface BootOptions {
  policy: SandboxPolicy;
  limits: SandboxLimits;
  tools: LocalToolchain;
}

export async function bootLocalInstance({ policy, limits, tools }: BootOptions): Promise<LocalInstance> {
  ensureOwnedDir(stateRoot());
  const binDir = stageBinaries(tools);
  const id = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const stateDir = join(stateRoot(), `sbx-${id}`);
  const workspace = policy.workspace;
  // Checked against the user's tree before anything is made (a bad path starts nothing).
  const readOnlyPaths = resolveReadOnlyPaths(workspace, policy.readOnlyPaths ?? []);
  const owner = statSync(workspace);
  // As root, every sandbox gets its own unprivileged uid: an escape lands as nobody in
  // particular, and two sandboxes cannot signal or read each other even then.
  const uid = isRoot ? 100_000 + randomInt(1_000_000_000) : (process.getuid?.() ?? 0);
  const gid = isRoot ? uid : (process.getgid?.() ?? 0);

  for (const sub of ["", "layer", "shm", "merged", "lower", "net", "tools"])
    mkdirSync(join(stateDir, sub), { mode: 0o711 });
  chmodSync(join(stateDir, "net"), 0o755);

  // An empty HOME of its own; toolchains under the host's home stay reachable read-only at
  // their host paths (with PYENV_ROOT, CARGO_HOME … pointing there), and nothing else of it.
  const home = "/home/sandbox";
  const { env, toolchainMounts } = buildSandboxEnv({ policy, hostEnv: process.env, home, tmpdir: "/tmp" });
  // cl-launch takes at most 64; a PATH longer than that loses its last home entries, not the sandbox.
  const homeMounts = toolchainMounts.slice(0, 64);
  for (const [i, m] of homeMounts.entries()) {
    const at = join(stateDir, "tools", String(i));
    if (m.kind === "dir") mkdirSync(at);
    else writeFileSync(at, "");
  }

  const cleanups: Array<() => Promise<void>> = [];
  const forwards: string[] = [];
  if (policy.allowNet?.length) {
    const { startEgressProxy } = await import("./egress-proxy.ts");
    const proxy = await startEgressProxy({
      socketPath: join(stateDir, "net", "proxy.sock"),
      allowNet: policy.allowNet,
      onEvent: policy.onNetEvent,
    });
    cleanups.push(() => proxy.close());
    forwards.push(`tcp:${proxyPort}=unix:${insideNet}/proxy.sock`);
    const url = `http://127.0.0.1:${proxyPort}`;
    Object.assign(env, { HTTP_PROXY: url, HTTPS_PROXY: url, http_proxy: url, https_proxy: url });
    env.NO_PROXY = env.no_proxy = "localhost,127.0.0.1,::1";
  }
  for (const port of policy.allowHostPorts ?? []) {
    const { startHostPortBridge } = await import("./host-port-bridge.ts");
    const bridge = await startHostPortBridge({
      socketPath: join(stateDir, "net", `port-${port}.sock`),
      port,
      onEvent: policy.onNetEvent,
    });
    cleanups.push(() => bridge.close());
    forwards.push(`tcp:${port}=unix:${insideNet}/port-${port}.sock`);
  }

  const cgroup = createSandboxCgroup(id, limits);
  const limitMechanism: LimitMechanism = cgroup ? cgroup.mechanism : "rlimit";
  // Without a cgroup the agent throttles the CPU share itself (native/cl-throttle.h).
  const cpuLimit: CpuLimit = cgroup ? "cgroup" : cpuThrottled(cgroup, limits) ? "throttle" : "none";

  const seccompPath = join(stateDir, "seccomp.bpf");
  writeFileSync(seccompPath, buildSeccompFilter(), { mode: 0o600 });
  const seccompFd = openSync(seccompPath, "r");

  const launcherArgs = buildLauncherArgs({
    bwrap: tools.bwrap,
    stateDir,
    binDir,
    workspace,
    home,
    homeMounts,
    uid,
    gid,
    limits,
    cgroup,
    readOnlyPaths,
    idmapFrom: isRoot ? owner : undefined,
  });

  let child: ChildProcess;
  try {
    child = spawn(tools.launcher, launcherArgs, { stdio: ["pipe", "pipe", "pipe", seccompFd], env: {} });
  } finally {
    closeSync(seccompFd);
  }
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => {
    if (stderr.length < 16_384) stderr += c.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  child.once("error", (e) => {
    stderr += String(e);
  });
  const channel = new AgentChannel(child.stdin!, child.stdout!);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    channel.quit();
    channel.close("the sandbox was disposed");
    try {
      child.kill("SIGKILL");
    } catch {}
    await raceTimeout(exited, 2000, undefined);
    await cgroup?.remove();
    await Promise.all(cleanups.map((c) => c().catch(() => {})));
    rmSync(stateDir, { recursive: true, force: true, maxRetries: 3 });
  };

  // Nothing an agent says after it broke the protocol is believed: end the sandbox at once.
  channel.onProtocolError(() => void stop());

  // What dead hosts left is swept while the launcher boots (it only touches cgroups and
  // state dirs of dead pids, never ours), and done before this sandbox is handed out.
  const sweeping = sweepLeftovers().catch(() => {});
  let started = false;
  try {
    started =
      (await raceTimeout(
        channel.ready.then(() => true),
        15_000,
        false,
      )) === true;
  } catch {}
  await sweeping;
  if (!started) {
    await raceTimeout(exited, 200, undefined);
    await stop();
    throw new SandboxUnavailableError(explainStartFailure(stderr));
  }

  // Idle sandboxes (a warm spare, one the caller forgot) never keep this process alive; the
  // agent takes its sandbox down when our end of the channel closes.
  child.unref();
  (child.stdin as unknown as { unref?(): void }).unref?.();
  (child.stderr as unknown as { unref?(): void }).unref?.();
  const hostPid = child.pid!;
  const instance: LocalInstance = {
    id,
    stateDir,
    hostPid,
    channel,
    env,
    home,
    uid,
    limitMechanism,
    cpuLimit,
    cgroup,
    toolchainMounts: homeMounts,
    readOnlyPaths,
    unenforced:
      cpuLimit === "none"
        ? [{ limit: "cpuCores", why: `${limits.cpuCores} is not a CPU share to hold` }]
        : [],
    mergedPath: () => `/proc/${hostPid}/root${stateDir}/merged`,
    upperPath: () => `/proc/${hostPid}/root${stateDir}/layer/upper`,
    layerPath: () => `/proc/${hostPid}/root${stateDir}/layer`,
    innerPid: () => {
      try {
        const first = readFileSync(`/proc/${hostPid}/task/${hostPid}/children`, "utf8")
          .trim()
          .split(/\s+/)[0];
        return first ? Number(first) : undefined;
      } catch {
        return undefined;
      }
    },
    stop,
  };
  if (forwards.length > 0) {
    // The relay inside prints "ready" once its ports listen; commands may use them after that.
    let said = "";
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => {
      ready = resolve;
    });
    const fw = channel.spawn({
      argv: [`${insideBin}/cl-forward`, ...forwards],
      env: {},
      cwd: "/",
      outputCap: 4096,
      background: true,
      onStarted: (pid) => {
        instance.relayPid = pid;
      },
      onStdout: (c) => {
        said += c.toString();
        if (said.includes("ready")) ready();
      },
      onStderr: (c) => {
        said += c.toString();
      },
    });
    cleanups.push(async () => fw.kill());
    const outcome = await raceTimeout(
      Promise.race([isReady.then(() => "ready"), fw.exited.then(() => "exited")]),
      5000,
      "timeout",
    );
    if (outcome !== "ready") {
      await stop();
      throw new SandboxUnavailableError(
        `the sandbox's network relay did not start (${outcome}): ${said.trim()}`,
      );
    }
  }
  return instance;
}
