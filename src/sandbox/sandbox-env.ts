// The environment a sandboxed command sees: an allowlist of harmless host variables, the
// names the policy passes through explicitly, and the policy's own values — nothing else,
// so tokens, keys, agent sockets and cloud credentials never leak in by default.
//
// HOME inside is an empty directory, which breaks toolchains installed under the user's
// home (pyenv, rustup, nvm, …) because they find themselves through $HOME. For each one
// that exists on the host we set its root variable to the host path explicitly and report
// its exact parts (toolchain-mounts.ts), so a backend that hides the host home can bind
// those back read-only, and nothing else of the home.

import { isAbsolute } from "node:path";
import { findToolchainMounts } from "./toolchain-mounts.ts";
import type { SandboxPolicy, ToolchainMount } from "./types.ts";

export interface SandboxEnvInput {
  policy: Pick<SandboxPolicy, "env" | "setEnv">;
  hostEnv: Record<string, string | undefined>;
  /** HOME inside the sandbox (an empty, writable directory). */
  home: string;
  /** TMPDIR inside the sandbox. */
  tmpdir: string;
}

export interface SandboxEnv {
  env: Record<string, string>;
  /** Host folders and files (under the host home, mostly) the sandbox needs read-only at the same path. */
  toolchainMounts: ToolchainMount[];
}

const fallbackPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * Host variables that carry no authority: locale, terminal and CI hints. The locale names
 * are listed one by one: an `LC_` prefix would also let `LC_SECRET_TOKEN` through.
 */
const allowedNames = new Set([
  "LANG",
  "LANGUAGE",
  "LC_ALL",
  "LC_CTYPE",
  "LC_NUMERIC",
  "LC_TIME",
  "LC_COLLATE",
  "LC_MONETARY",
  "LC_MESSAGES",
  "LC_PAPER",
  "LC_NAME",
  "LC_ADDRESS",
  "LC_TELEPHONE",
  "LC_MEASUREMENT",
  "LC_IDENTIFICATION",
  "TERM",
  "TZ",
  "COLORTERM",
  "NO_COLOR",
  "FORCE_COLOR",
  "CI",
]);

export function buildSandboxEnv(input: SandboxEnvInput): SandboxEnv {
  const { policy, hostEnv, home, tmpdir } = input;
  const env: Record<string, string> = {};

  for (const [name, value] of Object.entries(hostEnv)) {
    if (value === undefined) continue;
    if (allowedNames.has(name)) env[name] = value;
  }

  env.PATH = buildPath(hostEnv.PATH);
  const toolchains = findToolchainMounts(hostEnv, env.PATH.split(":"));
  Object.assign(env, toolchains.env);
  env.SHELL = "/bin/sh";
  env.USER = "sandbox";
  env.LOGNAME = "sandbox";
  env.HOME = home;
  env.TMPDIR = tmpdir;

  // Explicit grants come last so they win over the allowlist, and setEnv wins over all.
  for (const name of policy.env ?? []) {
    const value = hostEnv[name];
    if (value !== undefined) env[name] = value;
  }
  Object.assign(env, policy.setEnv ?? {});
  return { env, toolchainMounts: toolchains.mounts };
}

/** The host PATH without relative entries: a `.` in PATH runs whatever the workspace plants. */
function buildPath(hostPath: string | undefined): string {
  const entries: string[] = [];
  for (const entry of (hostPath || fallbackPath).split(":")) {
    if (entry && isAbsolute(entry) && !entries.includes(entry)) entries.push(entry);
  }
  return entries.join(":");
}
