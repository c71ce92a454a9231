// `closedloop check [--json] [--sandbox local|process] -- COMMAND...`: run one command in a
// fresh sandbox over the current directory and print what the model would see — the
// compacted, parsed feedback — or, with --json, the findings themselves. The command's exit
// code is passed through, so CI and other agents can use it as a drop-in wrapper.
import { type BackendName, createSandbox, type Sandbox } from "../sandbox/index.ts";
import { type CompactFeedback, createOutputCompactor } from "../signals/index.ts";
import { shellQuote, signalExitCode, UserError } from "../util/index.ts";
import { type FlagTable, formatFlagHelp, parseFlagTable } from "./flag-table.ts";

const checkFlags = {
  json: {
    help: 'print {"findings": [...], "fingerprint": "...", "summary": {...}}\n(plus "text", the raw head and tail, when no known output was recognized)',
  },
  sandbox: { value: "NAME", help: "local (bubblewrap, default) or process (no isolation)" },
  budget: { value: "TOKENS", help: "size of the text feedback (default 2000)" },
  help: { short: "h", help: "this text" },
} as const satisfies FlagTable;

export const checkUsage = `usage: closedloop check [--json] [--sandbox local|process] [--budget TOKENS] -- COMMAND...

Runs COMMAND in a fresh sandbox over the current directory and prints compact feedback:
a summary line, every failing test or error with its first location, and a marked head
and tail of the raw output. The exit code is COMMAND's own.

options:
${formatFlagHelp(checkFlags)}`;

export interface CheckOptions {
  json: boolean;
  backend: BackendName;
  budgetTokens: number;
  command: string;
}

/** What `check` needs from a sandbox; tests may pass any implementation of it. */
export type OpenSandbox = (
  workspace: string,
  backend: BackendName,
) => Promise<Pick<Sandbox, "exec" | "dispose">>;

export interface CheckIo {
  stdout: (text: string) => void;
  cwd: string;
  openSandbox: OpenSandbox;
}

export function parseCheckArgs(argv: string[]): CheckOptions | "help" {
  const { values, positionals } = parseFlagTable(checkFlags, argv, "check", { positionals: true });
  if (values.help) return "help";
  const backend = values.sandbox ?? "local";
  if (backend !== "local" && backend !== "process")
    throw new UserError(`unknown sandbox '${backend}': use --sandbox local or --sandbox process`);
  const budgetTokens = values.budget === undefined ? 2000 : Number(values.budget);
  if (!Number.isInteger(budgetTokens) || budgetTokens < 100)
    throw new UserError(`--budget must be a whole number of tokens, at least 100 (got '${values.budget}')`);
  if (positionals.length === 0)
    throw new UserError(`no command given: closedloop check -- npm test\n\n${checkUsage}`);
  // One argument is taken as a shell command line (`check -- "npm test && tsc"`); several are quoted word by word.
  const command = positionals.length === 1 ? positionals[0]! : positionals.map(shellQuote).join(" ");
  return { json: values.json ?? false, backend, budgetTokens, command };
}

/** The exit code a shell would report: the command's own, or 128 + signal number. */
export function exitCodeOf(result: {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
}): number {
  if (result.timedOut) return 124;
  if (result.exitCode !== null) return result.exitCode;
  return signalExitCode(result.signal ?? "");
}

/** `text` (with the raw head and tail) is added only when nothing was parsed, so "unparsed" never comes empty. */
export function formatCheckJson(feedback: CompactFeedback): string {
  const { findings, fingerprint, summary } = feedback;
  const unparsed = summary.status === "unparsed" ? { text: feedback.text } : {};
  return JSON.stringify({ findings, fingerprint, summary, ...unparsed }, null, 2);
}

export async function runCheck(options: CheckOptions, io: CheckIo): Promise<number> {
  const sandbox = await io.openSandbox(io.cwd, options.backend);
  try {
    // The sandbox may see the tree at another path (the process backend works on a copy):
    // ask it, so paths in the findings come out relative to the repo.
    const where = await sandbox.exec("pwd");
    const compactor = createOutputCompactor({
      command: options.command,
      budgetTokens: options.budgetTokens,
      cwd: where.stdout.trim() || io.cwd,
    });
    const result = await sandbox.exec(options.command, {
      onStdout: (chunk) => compactor.push(chunk),
      onStderr: (chunk) => compactor.push(chunk, "stderr"),
    });
    const code = exitCodeOf(result);
    const feedback = compactor.finish(result.timedOut ? null : result.exitCode);
    io.stdout(options.json ? formatCheckJson(feedback) : feedback.text);
    return code;
  } finally {
    await sandbox.dispose();
  }
}

export async function run(argv: string[]): Promise<number> {
  const options = parseCheckArgs(argv);
  if (options === "help") {
    console.log(checkUsage);
    return 0;
  }
  return runCheck(options, {
    stdout: (text) => process.stdout.write(`${text}\n`),
    cwd: process.cwd(),
    openSandbox: (workspace, backend) => createSandbox({ workspace, backend }),
  });
}
