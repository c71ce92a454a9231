// The `process` backend: the same interface with NO isolation, for machines where the
// `local` backend cannot run and the user asked for it explicitly. Commands run as the
// calling user with the host's view of everything; the one promise it keeps is that the
// user's tree is never written — it works on a full copy in a temp dir, which makes
// create O(size of the workspace): the price of the fallback. diff and reset touch only
// what changed, found by a stat walk (workspace-copy.ts).
import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { UserError } from "../util/index.ts";
import { createBackgroundProcess } from "./background-process.ts";
import { dropGitIgnored } from "./git-ignored.ts";
import { killGroup, runInGroup, spawnInGroup } from "./process-group.ts";
import { buildSandboxEnv } from "./sandbox-env.ts";
import { ownedTempPrefix, sweepStaleTempDirs } from "./stale-temp-dirs.ts";
import type {
  BackgroundProcess,
  DirEntry,
  ExecOptions,
  Sandbox,
  SandboxInfo,
  SandboxLimits,
  SandboxPolicy,
} from "./types.ts";
import { defaultLimits } from "./types.ts";
import { createWorkspaceCopy, type WorkspaceCopy } from "./workspace-copy.ts";
import { diffTrees } from "./workspace-diff.ts";
import { resolveWorkspacePath } from "./workspace-path.ts";

let warned = false;

/** Sandboxes alive in this process, so a host exit does not leave groups or temp dirs behind. */
const live = new Set<{ children: Set<ChildProcess>; root: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once("exit", () => {
    for (const s of live) {
      for (const child of s.children) killGroup(child.pid, "SIGKILL");
      rmSync(s.root, { recursive: true, force: true });
    }
  });
}

export async function createProcessSandbox(policy: SandboxPolicy): Promise<Sandbox> {
  const workspace = resolve(policy.workspace);
  const st = await stat(workspace).catch(() => undefined);
  if (!st?.isDirectory())
    throw new UserError(`workspace ${workspace} is not a directory; pass --workspace DIR`);
  if (!policy.quiet && !warned) {
    warned = true;
    process.stderr.write(
      "closedloop: --sandbox process gives NO isolation: commands run as you, can read your files, " +
        "secrets and network, and can kill your processes; only your workspace is protected (it is copied). " +
        "Use --sandbox local unless you know why.\n",
    );
  }

  const limits: SandboxLimits = { ...defaultLimits, ...policy.limits };
  sweepStaleTempDirs("process");
  const root = await realpath(await mkdtemp(ownedTempPrefix("process")));
  const copy = join(root, basename(workspace) || "workspace");
  const home = join(root, "home");
  const tmp = join(root, "tmp");
  const { env } = buildSandboxEnv({ policy, hostEnv: process.env, home, tmpdir: tmp });
  const children = new Set<ChildProcess>();
  const entry = { children, root };
  const background = new Set<BackgroundProcess>();
  let cwd = copy;
  let disposed = false;
  let counter = 0;

  const freshScratch = async () => {
    await rm(home, { recursive: true, force: true });
    await rm(tmp, { recursive: true, force: true });
    await mkdir(home, { recursive: true });
    await mkdir(tmp, { recursive: true });
    cwd = copy;
  };
  let workspaceCopy: WorkspaceCopy;
  try {
    workspaceCopy = await createWorkspaceCopy(workspace, copy);
    await freshScratch();
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  installExitHook();
  live.add(entry);

  const track = (child: ChildProcess) => {
    children.add(child);
    return () => children.delete(child);
  };
  const checkAlive = () => {
    if (disposed) throw new Error("sandbox is disposed");
  };
  const resolveCwd = (option?: string) => {
    if (!option) return cwd;
    if (isAbsolute(option))
      return option.startsWith(`${workspace}/`) || option === workspace
        ? join(copy, option.slice(workspace.length))
        : option;
    return resolve(cwd, option);
  };
  const stopAll = async () => {
    await Promise.all([...background].map((p) => p.kill()));
    background.clear();
    for (const child of children) killGroup(child.pid, "SIGKILL");
  };

  const info: SandboxInfo = {
    backend: "process",
    id: basename(root).replace("closedloop-process-", "process-"),
    workspace,
    limits,
    limitMechanism: "none",
    cpuLimit: "none",
    isolated: false,
  };

  return {
    info,

    async exec(command: string, options: ExecOptions = {}) {
      checkAlive();
      const cwdFile = join(root, `cwd-${++counter}`);
      // The command runs where the last one ended; an EXIT trap records where it ends now.
      // Prefixed on the same line so the command's own line numbers in errors stay right.
      const script = `cd -- ${quote(resolveCwd(options.cwd))} 2>/dev/null || cd -- ${quote(copy)} || exit 125; cl_cwd_file=${quote(cwdFile)}; trap 'pwd > "$cl_cwd_file"' EXIT; ${command}`;
      const outcome = await runInGroup(
        // Spawned in the temp root, which always exists: a command may delete the copy's root.
        { file: "/bin/sh", args: ["-c", script], cwd: root, env: { ...env, ...options.env } },
        {
          stdin: options.stdin,
          timeoutMs: options.timeoutMs ?? limits.timeoutMs,
          signal: options.signal,
          onStdout: options.onStdout,
          onStderr: options.onStderr,
          outputBytes: limits.outputBytes,
          track,
        },
      );
      const ended = (await readFile(cwdFile, "utf8").catch(() => "")).replace(/\n$/, "");
      await rm(cwdFile, { force: true });
      if (ended) cwd = ended;
      return { ...outcome, cwd };
    },

    async readFile(path) {
      checkAlive();
      return new Uint8Array(await readFile(await resolveWorkspacePath(copy, path, [workspace])));
    },

    async writeFile(path, content) {
      checkAlive();
      const target = await resolveWorkspacePath(copy, path, [workspace]);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
    },

    async list(path = ".") {
      checkAlive();
      const dir = await resolveWorkspacePath(copy, path, [workspace]);
      const entries = await readdir(dir, { withFileTypes: true });
      const out: DirEntry[] = [];
      for (const e of entries) {
        const type = e.isFile() ? "file" : e.isDirectory() ? "dir" : e.isSymbolicLink() ? "symlink" : "other";
        const size =
          type === "file" ? ((await stat(join(dir, e.name)).catch(() => undefined))?.size ?? 0) : 0;
        out.push({ name: e.name, type, size });
      }
      return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    async start(command, options = {}) {
      checkAlive();
      const child = spawnInGroup(
        {
          file: "/bin/sh",
          args: [
            "-c",
            `cd -- ${quote(resolveCwd(options.cwd))} 2>/dev/null || cd -- ${quote(copy)} || exit 125; ${command}`,
          ],
          cwd: root,
          env: { ...env, ...options.env },
        },
        false,
      );
      const untrack = track(child);
      const proc = createBackgroundProcess({ id: `bg-${++counter}`, command, child });
      background.add(proc);
      void proc.exited.then(() => {
        untrack();
        background.delete(proc);
      });
      if (options.onStdout || options.onStderr) {
        child.stdout?.on("data", (c: Buffer) => options.onStdout?.(c));
        child.stderr?.on("data", (c: Buffer) => options.onStderr?.(c));
      }
      if (options.signal) options.signal.addEventListener("abort", () => void proc.kill(), { once: true });
      return proc;
    },

    async exposePort(port) {
      checkAlive();
      // Same network as the host: the port is already reachable where it listens.
      return { host: "127.0.0.1", port, close: async () => {} };
    },

    async diff() {
      checkAlive();
      const { changed, added, removed } = await workspaceCopy.changes();
      const paths = [...changed, ...added, ...removed];
      const kept = await dropGitIgnored(workspace, paths);
      return kept.length === 0 ? "" : diffTrees({ before: workspace, after: copy, paths: kept });
    },

    async endStrays() {
      checkAlive();
      // It shares the host's PID namespace: `kill -1` here would reach the user's processes.
      await stopAll();
    },

    async reset() {
      checkAlive();
      await stopAll();
      await workspaceCopy.restore();
      await freshScratch();
    },

    async dispose() {
      if (disposed) return;
      disposed = true;
      await stopAll();
      live.delete(entry);
      await rm(root, { recursive: true, force: true });
    },
  };
}

function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
