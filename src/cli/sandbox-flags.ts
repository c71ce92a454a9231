// The sandbox's knobs as flags, shared by `closedloop sandbox` and `closedloop run` (where
// closedloop.config.json may set them too): one table, one reader, so `--memory 4g` means
// the same in both and the same parseSize/parseDuration read it.
import { type BackendName, defaultLimits, type SandboxLimits } from "../sandbox/index.ts";
import { parseDuration, parseSize, UserError } from "../util/index.ts";
import type { FlagTable } from "./flag-table.ts";

const gib = (bytes: number) => `${bytes / 1024 ** 3}g`;

export const sandboxFlags = {
  sandbox: {
    value: "NAME",
    help: "local (isolated, default) or process (NO isolation)",
    configKey: "sandbox",
  },
  "allow-net": {
    value: "HOST",
    multiple: true,
    help: "host (or *.suffix) the sandbox may reach (default: none)",
    configKey: "allowNet",
  },
  "allow-host-port": {
    value: "PORT",
    multiple: true,
    help: "expose the host's 127.0.0.1:PORT inside (a test database)",
    configKey: "allowHostPorts",
  },
  env: { value: "NAME", multiple: true, help: "pass the host variable NAME through", configKey: "env" },
  memory: {
    value: "SIZE",
    help: `memory limit, e.g. 512m or 4g (default ${gib(defaultLimits.memoryBytes)})`,
    configKey: "memory",
  },
  cpus: {
    value: "N",
    help: `CPU share in cores, e.g. 0.5 or 4 (default ${defaultLimits.cpuCores})`,
    configKey: "cpus",
  },
  disk: {
    value: "SIZE",
    help: `bytes the commands may write (default ${gib(defaultLimits.diskBytes)})`,
    configKey: "disk",
  },
  timeout: {
    value: "DUR",
    help: `wall time per command, e.g. 30s or 10m (default ${defaultLimits.timeoutMs / 1000}s)`,
    configKey: "timeout",
  },
} as const satisfies FlagTable;

export type SandboxFlagName = keyof typeof sandboxFlags;

/** A flag's value and where it came from, so an error names the flag or the config key. */
export interface PickedValue {
  value: unknown;
  label: string;
}

/** Reads one knob: the flag when given, else its config key, else undefined. */
export type PickValue = (flag: string) => PickedValue | undefined;

export interface SandboxKnobs {
  backend: BackendName;
  allowNet: string[];
  allowHostPorts: number[];
  env: string[];
  limits: Partial<SandboxLimits>;
}

const backends: BackendName[] = ["local", "process"];

export function parseSandboxKnobs(pick: PickValue): SandboxKnobs {
  const backend = pick("sandbox");
  const backendName = backend === undefined ? "local" : textOf(backend);
  if (!backends.includes(backendName as BackendName))
    throw new UserError(
      `${backend?.label} '${backendName}': choose local (isolated) or process (no isolation)`,
    );
  const allowNet = listOf(pick("allow-net"));
  for (const host of allowNet)
    if (!/^(\*\.)?[A-Za-z0-9.-]+$/.test(host))
      throw new UserError(
        `${pick("allow-net")!.label} takes a host name such as registry.npmjs.org or *.github.com, not '${host}'`,
      );
  const allowHostPorts = listOf(pick("allow-host-port")).map((text) => {
    const port = Number(text);
    if (!/^\d+$/.test(text) || port < 1 || port > 65535)
      throw new UserError(`${pick("allow-host-port")!.label} '${text}' is not a TCP port (1-65535)`);
    return port;
  });
  const env = listOf(pick("env"));
  for (const name of env)
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      throw new UserError(`${pick("env")!.label} takes a variable name such as DATABASE_URL, not '${name}'`);

  const limits: Partial<SandboxLimits> = {};
  const memory = pick("memory");
  if (memory) limits.memoryBytes = positive(parseSize(textOf(memory), memory.label), memory);
  const disk = pick("disk");
  if (disk) limits.diskBytes = positive(parseSize(textOf(disk), disk.label), disk);
  const timeout = pick("timeout");
  if (timeout) limits.timeoutMs = positive(parseDurationValue(timeout), timeout);
  const cpus = pick("cpus");
  if (cpus) {
    const cores = Number(textOf(cpus));
    if (!/^\d+(\.\d+)?$/.test(textOf(cpus)) || !(cores > 0))
      throw new UserError(`${cpus.label} '${textOf(cpus)}' is not a number of cores; write e.g. 0.5, 1 or 4`);
    limits.cpuCores = cores;
  }
  return { backend: backendName as BackendName, allowNet, allowHostPorts, env, limits };
}

/** A duration from a flag (text) or a config key (text, or a number of seconds). */
export function parseDurationValue(picked: PickedValue): number {
  return parseDuration(textOf(picked), picked.label);
}

function positive(value: number, picked: PickedValue): number {
  if (value <= 0) throw new UserError(`${picked.label} must be more than 0`);
  return value;
}

/** The value as text; config files may hold numbers where flags hold text. */
export function textOf(picked: PickedValue): string {
  if (typeof picked.value === "string") return picked.value;
  if (typeof picked.value === "number" && Number.isFinite(picked.value)) return String(picked.value);
  throw new UserError(`${picked.label} must be a string, not ${JSON.stringify(picked.value)}`);
}

export function listOf(picked: PickedValue | undefined): string[] {
  if (picked === undefined) return [];
  const list = Array.isArray(picked.value) ? picked.value : [picked.value];
  return list.map((item) => textOf({ value: item, label: picked.label }));
}
