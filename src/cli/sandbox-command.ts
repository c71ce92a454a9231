// `closedloop sandbox [options] -- COMMAND...`: runs one command in a fresh sandbox over a
// directory, streams its output, passes its exit code through (128+signal when it was
// killed), and with --diff prints what it changed as a patch. The host tree is never written.
import { fstatSync } from "node:fs";
import { constants } from "node:os";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { type BackendName, createSandbox, type SandboxLimits, type SandboxPolicy } from "../sandbox/index.ts";
import { parseDuration, parseSize, UserError } from "../util/index.ts";

export const sandboxUsage = `usage: closedloop sandbox [options] -- COMMAND...

Runs COMMAND (one shell string, or words that are quoted for you) in a fresh sandbox over
DIR and exits with its exit code. Your files are never written; --diff shows the changes.

options:
  --workspace DIR        directory the sandbox sees (default: the current directory)
  --sandbox NAME         local (bubblewrap, default) or process (NO isolation)
  --allow-net HOST       let HOST (or *.suffix) through the egress proxy; repeatable
  --allow-host-port PORT expose the host's 127.0.0.1:PORT inside; repeatable
  --env NAME             pass the host variable NAME through; repeatable
  --memory SIZE          memory limit, e.g. 512m (default 2g)
  --timeout DURATION     wall time, e.g. 30s (default 120s); the command is killed after it
  --diff                 print the patch of what COMMAND changed
  -h, --help             this text`;

export interface SandboxCommandOptions {
  workspace: string;
  backend: BackendName;
  allowNet: string[];
  allowHostPorts: number[];
  env: string[];
  limits: Partial<SandboxLimits>;
  diff: boolean;
  command: string;
}

const backends: BackendName[] = ["local", "process"];

export function parseSandboxArgs(argv: string[], cwd: string): SandboxCommandOptions | "help" {
  let parsed: ReturnType<typeof parseRaw>;
  try {
    parsed = parseRaw(argv);
  } catch (error) {
    throw new UserError(`${(error as Error).message.split("\n")[0]} (see closedloop sandbox --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  const backend = values.sandbox ?? "local";
  if (!backends.includes(backend as BackendName)) {
    throw new UserError(`--sandbox must be one of ${backends.join(", ")}, not '${backend}'`);
  }
  const allowHostPorts = (values["allow-host-port"] ?? []).map((text) => {
    const port = Number(text);
    if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
      throw new UserError(`--allow-host-port '${text}' is not a TCP port (1-65535)`);
    }
    return port;
  });
  for (const name of values.env ?? []) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new UserError(`--env takes a variable name such as DATABASE_URL, not '${name}'`);
    }
  }
  for (const host of values["allow-net"] ?? []) {
    if (!/^(\*\.)?[A-Za-z0-9.-]+$/.test(host)) {
      throw new UserError(
        `--allow-net takes a host name such as registry.npmjs.org or *.github.com, not '${host}'`,
      );
    }
  }
  if (positionals.length === 0) {
    throw new UserError("give the command to run after --, e.g. closedloop sandbox -- npm test");
  }
  const limits: Partial<SandboxLimits> = {};
  if (values.memory !== undefined) limits.memoryBytes = parseSize(values.memory, "--memory");
  if (values.timeout !== undefined) limits.timeoutMs = parseDuration(values.timeout, "--timeout");
  if (limits.timeoutMs === 0) throw new UserError("--timeout must be longer than 0");
  return {
    workspace: resolve(cwd, values.workspace ?? "."),
    backend: backend as BackendName,
    allowNet: values["allow-net"] ?? [],
    allowHostPorts,
    env: values.env ?? [],
    limits,
    diff: values.diff ?? false,
    // One word is a shell string as typed; several are quoted so `-- printf '%s' "a b"` means what it says.
    command: positionals.length === 1 ? positionals[0]! : positionals.map(shellQuote).join(" "),
  };
}

function parseRaw(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      workspace: { type: "string" },
      sandbox: { type: "string" },
      "allow-net": { type: "string", multiple: true },
      "allow-host-port": { type: "string", multiple: true },
      env: { type: "string", multiple: true },
      memory: { type: "string" },
      timeout: { type: "string" },
      diff: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Exit code of a command that ended by `signal`, as shells report it. */
export function signalExitCode(signal: string): number {
  return 128 + ((constants.signals as Record<string, number>)[signal] ?? 0);
}

/** The host's stdin when it is a pipe or a file; a terminal or socket is never waited on. */
async function readPipedStdin(): Promise<Uint8Array | undefined> {
  try {
    const st = fstatSync(0);
    if (!st.isFIFO() && !st.isFile()) return undefined;
  } catch {
    return undefined;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function run(argv: string[]): Promise<number> {
  const options = parseSandboxArgs(argv, process.cwd());
  if (options === "help") {
    console.log(sandboxUsage);
    return 0;
  }
  const policy: SandboxPolicy = {
    workspace: options.workspace,
    backend: options.backend,
    allowNet: options.allowNet,
    allowHostPorts: options.allowHostPorts,
    env: options.env,
    limits: options.limits,
  };
  const stdin = await readPipedStdin();
  const sandbox = await createSandbox(policy);
  const controller = new AbortController();
  let interrupted = false;
  const onInterrupt = () => {
    interrupted = true;
    controller.abort();
  };
  process.once("SIGINT", onInterrupt);
  process.once("SIGTERM", onInterrupt);
  try {
    const result = await sandbox.exec(options.command, {
      ...(stdin ? { stdin } : {}),
      signal: controller.signal,
      onStdout: (chunk) => process.stdout.write(chunk),
      onStderr: (chunk) => process.stderr.write(chunk),
    });
    if (result.timedOut) {
      process.stderr.write(
        `closedloop sandbox: the command ran past its ${formatMs(sandbox.info.limits.timeoutMs)} timeout and was killed\n`,
      );
    }
    if (options.diff) {
      const patch = await sandbox.diff();
      if (patch) process.stdout.write(patch.endsWith("\n") ? patch : `${patch}\n`);
      else process.stderr.write("closedloop sandbox: the command changed nothing\n");
    }
    if (interrupted) return 130;
    return result.exitCode ?? signalExitCode(result.signal ?? "SIGKILL");
  } finally {
    process.off("SIGINT", onInterrupt);
    process.off("SIGTERM", onInterrupt);
    await sandbox.dispose();
  }
}
