// Checks that the local (bubblewrap) backend can run here, and turns each known way it
// cannot into one line that names the exact fix and the explicit fallback flag. Users of
// other sandboxes mostly complain about opaque failures on Ubuntu 24.04 (AppArmor),
// inside containers, and with bwrap missing; each of those gets its own message here.
// Nothing here ever falls back silently.
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { SandboxUnavailableError } from "./errors.ts";
import { ensureNativeHelpers } from "./native-helpers.ts";
import { isSeccompSupported } from "./seccomp-filter.ts";

const fallback = "or pass --sandbox process to run without isolation";

export interface LocalToolchain {
  bwrap: string;
  launcher: string;
  agent: string;
  forwarder: string;
  /** Reads the sandbox's changes from inside it, for diff (native/cl-export.c). */
  exporter: string;
  /** Preloaded into every command inside: keeps it non-dumpable (native/cl-nodump.c). */
  nodump: string;
}

let cached: LocalToolchain | undefined;

function which(name: string, path = process.env.PATH ?? "/usr/bin:/bin"): string | undefined {
  for (const dir of path.split(delimiter)) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

function readNumber(path: string): number | undefined {
  try {
    return Number(readFileSync(path, "utf8").trim());
  } catch {
    return undefined;
  }
}

export function isInContainer(): boolean {
  if (existsSync("/.dockerenv") || existsSync("/run/.containerenv")) return true;
  try {
    return /docker|kubepods|containerd|lxc/.test(readFileSync("/proc/1/cgroup", "utf8"));
  } catch {
    return false;
  }
}

/** Why user namespaces fail here, when the kernel settings say so; undefined if they look fine. */
export function diagnoseUserNamespaces(procSys = "/proc/sys"): string | undefined {
  if (readNumber(`${procSys}/user/max_user_namespaces`) === 0)
    return `user namespaces are disabled (user.max_user_namespaces = 0): run 'sudo sysctl -w user.max_user_namespaces=15000', ${fallback}`;
  if (readNumber(`${procSys}/kernel/unprivileged_userns_clone`) === 0 && process.getuid?.() !== 0)
    return `unprivileged user namespaces are disabled: run 'sudo sysctl -w kernel.unprivileged_userns_clone=1', ${fallback}`;
  if (readNumber(`${procSys}/kernel/apparmor_restrict_unprivileged_userns`) === 1 && process.getuid?.() !== 0)
    return `AppArmor restricts unprivileged user namespaces (Ubuntu 23.10+): run 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0', or install an AppArmor profile granting 'userns' to ${which("bwrap") ?? "/usr/bin/bwrap"} and build/cl-launch, ${fallback}`;
  return undefined;
}

/** Explains a failed sandbox start from what the launcher or bwrap printed. */
export function explainStartFailure(stderr: string): string {
  const text = stderr.trim().split("\n").slice(-3).join(" | ");
  const userns = diagnoseUserNamespaces();
  if (userns) return userns;
  if (/overlay/i.test(stderr) && !/overlay/.test(safeRead("/proc/filesystems")))
    return `overlayfs is not available: run 'sudo modprobe overlay', ${fallback} (${text})`;
  if (/unshare|namespace|uid map|Operation not permitted|Permission denied/i.test(stderr) && isInContainer())
    return `this container forbids the namespaces the sandbox needs: run it with '--security-opt seccomp=unconfined --security-opt apparmor=unconfined' (Docker) or '--privileged', ${fallback} (${text})`;
  if (/id-mapped|idmap|open_tree/i.test(stderr))
    return `the workspace's filesystem cannot be id-mapped (needed when closedloop runs as root): move it to ext4/xfs/btrfs/tmpfs, run closedloop as a normal user, ${fallback} (${text})`;
  return `the sandbox could not start: ${text || "no message"}; ${fallback}`;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** Everything the local backend needs, or a SandboxUnavailableError that says how to get it. */
export function preflightLocal(options: { path?: string } = {}): LocalToolchain {
  if (cached && options.path === undefined) return cached;
  if (process.platform !== "linux")
    throw new SandboxUnavailableError(
      `the local sandbox needs Linux (this is ${process.platform}); ${fallback}`,
    );
  const bwrap = which("bwrap", options.path);
  if (!bwrap)
    throw new SandboxUnavailableError(
      `bubblewrap is not installed: run 'sudo apt-get install bubblewrap' (or 'dnf install bubblewrap'), ${fallback}`,
    );
  if (!isSeccompSupported())
    throw new SandboxUnavailableError(
      `no seccomp syscall table for CPU architecture ${process.arch} yet; ${fallback}`,
    );
  const built = ensureNativeHelpers();
  if (!built.helpers)
    throw new SandboxUnavailableError(
      `the sandbox helpers could not be compiled (${built.error?.split("\n").at(-1) ?? "no C compiler"}): run 'closedloop setup' (it installs gcc), ${fallback}`,
    );
  const { launcher, agent, forwarder, exporter, nodump } = built.helpers;
  const tools = { bwrap, launcher, agent, forwarder, exporter, nodump };
  const userns = diagnoseUserNamespaces();
  if (userns) throw new SandboxUnavailableError(userns);
  if (options.path === undefined) cached = tools;
  return tools;
}
