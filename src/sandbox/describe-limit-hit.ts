// One sentence for a limit a command ran into: which limit, its value, and how to raise it.
// The flags differ by caller (`sandbox` has --timeout, `run` verifies with --verify-timeout
// and reads closedloop.config.json), so the caller says how each limit is raised; the sizes
// and durations it suggests are written so parseSize / parseDuration read them back.
import type { ExecResult, LimitName, SandboxLimits } from "./types.ts";

export interface LimitHit {
  limit: LimitName;
  /** The limit as it was: bytes (memory, disk), a count (processes) or milliseconds (timeout). */
  value: number;
}

/** How a caller raises a limit: a flag, and the config key when a config file can set it. */
export type LimitRaisers = Partial<Record<LimitName, { flag: string; configKey?: string }>>;

/**
 * The limits a command's result ran into, each with its value from the sandbox's limits; a
 * time-out counts on every backend (the process backend enforces only that one).
 */
export function limitHitsOf(
  result: Pick<ExecResult, "limitsHit" | "timedOut">,
  limits: Pick<SandboxLimits, "memoryBytes" | "maxProcesses" | "diskBytes">,
  timeoutMs: number,
): LimitHit[] | undefined {
  const names = new Set(result.limitsHit ?? []);
  if (result.timedOut) names.add("timeout");
  if (names.size === 0) return undefined;
  const values: Record<LimitName, number> = {
    memory: limits.memoryBytes,
    processes: limits.maxProcesses,
    disk: limits.diskBytes,
    timeout: timeoutMs,
  };
  return [...names].map((limit) => ({ limit, value: values[limit] }));
}

const units = [
  ["t", "TiB", 1024 ** 4],
  ["g", "GiB", 1024 ** 3],
  ["m", "MiB", 1024 ** 2],
  ["k", "KiB", 1024],
] as const;

/** "2 GiB" for people, "2g" for a flag. */
function formatSize(bytes: number): { text: string; flag: string } {
  for (const [flag, text, size] of units)
    if (bytes >= size && bytes % size === 0)
      return { text: `${bytes / size} ${text}`, flag: `${bytes / size}${flag}` };
  return { text: `${bytes} bytes`, flag: String(bytes) };
}

function formatDuration(ms: number): { text: string; flag: string } {
  if (ms >= 60_000 && ms % 60_000 === 0) return { text: `${ms / 60_000} min`, flag: `${ms / 60_000}m` };
  if (ms % 1000 === 0) return { text: `${ms / 1000} s`, flag: `${ms / 1000}s` };
  return { text: `${ms} ms`, flag: `${ms}ms` };
}

function raise(hit: LimitHit, raisers: LimitRaisers, suggested: string): string {
  const how = raisers[hit.limit];
  if (!how) return "";
  const config = how.configKey ? ` (or "${how.configKey}" in closedloop.config.json)` : "";
  return `; raise it with ${how.flag} ${suggested}${config}`;
}

export function describeLimitHit(hit: LimitHit, raisers: LimitRaisers): string {
  switch (hit.limit) {
    case "memory": {
      const size = formatSize(hit.value);
      return `killed: it hit the sandbox's memory limit (${size.text})${raise(hit, raisers, formatSize(hit.value * 2).flag)}`;
    }
    case "disk": {
      const size = formatSize(hit.value);
      return `it filled the sandbox's disk budget (${size.text} for changed files, /tmp and HOME)${raise(hit, raisers, formatSize(hit.value * 2).flag)}`;
    }
    case "processes": {
      const how = raisers.processes
        ? raise(hit, raisers, String(hit.value * 2))
        : "; no flag raises it: start fewer processes at once (e.g. fewer test workers)";
      return `a fork was refused: it hit the sandbox's process limit (${hit.value} at once)${how}`;
    }
    case "timeout": {
      const time = formatDuration(hit.value);
      return `the time limit is ${time.text} per command${raise(hit, raisers, formatDuration(hit.value * 2).flag)}`;
    }
  }
}
