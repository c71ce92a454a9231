// `closedloop sandbox [options] -- COMMAND...`: runs one command in a fresh sandbox over a
// directory, streams its output, passes its exit code through (128+signal when it was
// killed), and with --diff prints what it changed as a patch. The host tree is never written.
import { fstatSync } from "node:fs";
import { resolve } from "node:path";
import type { BackendName, SandboxLimits, SandboxPolicy } from "../sandbox/index.ts";
import { createSandbox, describeLimitHit, type LimitRaisers, limitHitsOf } from "../sandbox/index.ts";
import { shellQuote, signalExitCode, UserError } from "../util/index.ts";
import { createPickValue } from "./file-config.ts";
import { type FlagTable, formatFlagHelp, parseFlagTable } from "./flag-table.ts";
import { parseSandboxKnobs, sandboxFlags } from "./sandbox-flags.ts";

const sandboxCommandFlags = {
  workspace: { value: "DIR", help: "directory the sandbox sees (default: the current directory)" },
  ...sandboxFlags,
  diff: { help: "print the patch of what COMMAND changed" },
  help: { short: "h", help: "this text" },
} as const satisfies FlagTable;

/** `closedloop sandbox` reads no config file: a limit is raised by its flag only. */
const sandboxRaisers: LimitRaisers = {
  memory: { flag: "--memory" },
  disk: { flag: "--disk" },
  timeout: { flag: "--timeout" },
};

export const sandboxUsage = `usage: closedloop sandbox [options] -- COMMAND...

Runs COMMAND (one shell string, or words that are quoted for you) in a fresh sandbox over
DIR and exits with its exit code. Your files are never written; --diff shows the changes.

options:
${formatFlagHelp(sandboxCommandFlags)}`;

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

export function parseSandboxArgs(argv: string[], cwd: string): SandboxCommandOptions | "help" {
  const { values, positionals } = parseFlagTable(sandboxCommandFlags, argv, "sandbox", { positionals: true });
  if (values.help) return "help";
  // `closedloop sandbox` reads no config file: what it runs is exactly what the flags say.
  const knobs = parseSandboxKnobs(createPickValue(sandboxCommandFlags, values, {}));
  if (positionals.length === 0) {
    throw new UserError("give the command to run after --, e.g. closedloop sandbox -- npm test");
  }
  return {
    workspace: resolve(cwd, values.workspace ?? "."),
    ...knobs,
    diff: values.diff ?? false,
    // One word is a shell string as typed; several are quoted so `-- printf '%s' "a b"` means what it says.
    command: positionals.length === 1 ? positionals[0]! : positionals.map(shellQuote).join(" "),
  };
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
    // The limits it ran into (the kernel's word, see limit-events.ts), each with the flag that raises it.
    for (const hit of limitHitsOf(result, sandbox.info.limits, sandbox.info.limits.timeoutMs) ?? []) {
      const what = hit.limit === "timeout" ? "the command ran past its timeout and was killed; " : "";
      process.stderr.write(`closedloop sandbox: ${what}${describeLimitHit(hit, sandboxRaisers)}\n`);
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
