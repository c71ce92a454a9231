// `shell`: one command in the sandbox, in a fresh `sh` each time (a `cd` sticks through the
// sandbox's cwd, nothing else does, so there is no long-lived shell to wedge). The observation
// always states how the command ended and how long it took; long output is compacted and
// bounded, and the full text is saved inside the sandbox under /tmp (never in the workspace,
// so it cannot leak into the patch) where read_file can open it.
import { z } from "zod";
import { describeLimitHit, type ExecResult, limitHitsOf, type Sandbox } from "../sandbox/index.ts";
import { compactOutput } from "../signals/index.ts";
import { countLines, truncateMiddle } from "../util/index.ts";
import { defineTool, errorResult } from "./define-tool.ts";
import { formatDuration } from "./format-text.ts";
import type { Tool } from "./types.ts";

export interface ShellToolOptions {
  /** Characters of output the model sees per command; more is cut and saved to a file. */
  outputChars?: number;
}

export const defaultShellOutputChars = 12_000;
const maxTimeoutMs = 60 * 60 * 1000;

export function createShellTool(options: ShellToolOptions = {}): Tool {
  const budget = options.outputChars ?? defaultShellOutputChars;
  let saved = 0;
  // The model's `cd` is remembered here rather than trusted to the sandbox's sticky cwd,
  // because other tools and the verifier run commands with a cwd of their own.
  let cwd: string | undefined;
  return defineTool({
    name: "shell",
    description:
      "Run a shell command (sh -c) in the sandbox's workspace and see its exit code, duration and output " +
      "(stdout then stderr). Each call is a new process; `cd` carries over to the next call, shell variables " +
      "do not. Long output is shortened to its head and tail and the full text is saved to a file named in " +
      "the result (open it with read_file). Do not start servers or watchers here: the command must finish.",
    schema: z.strictObject({
      command: z.string().min(1).describe("The command line, run with sh -c."),
      timeoutMs: z
        .number()
        .int()
        .positive()
        .max(maxTimeoutMs)
        .optional()
        .describe("Wall-time limit in milliseconds (default: the sandbox's limit, usually 120000)."),
    }),
    async run({ command, timeoutMs }, context) {
      let result: ExecResult;
      try {
        result = await context.sandbox.exec(command, { cwd, timeoutMs, signal: context.signal });
        cwd = result.cwd;
      } catch (error) {
        return errorResult(`$ ${command}\nthe command could not be started: ${(error as Error).message}`);
      }
      const raw = combineOutput(result);
      let outputPath: string | undefined;
      if (raw.length > budget) outputPath = await saveFullOutput(context.sandbox, raw, ++saved);
      const feedback = compactOutput(raw, {
        command,
        exitCode: result.exitCode,
        budgetTokens: Math.floor(budget / 4),
      });
      // Output that fits is shown as printed. Output that does not: the signals module's
      // digest when it recognised a compiler or test runner (it names every failure), else
      // plain head and tail — its "unparsed" warning is for verifiers, not for `ls`.
      const digest = feedback.summary.status === "parsed" ? dropCommandLine(feedback.text, command) : raw;
      const shown = truncateMiddle(raw.length <= budget ? raw : digest, budget, outputPath).text;
      const lines = [`$ ${command}`, describeEnd(result, timeoutMs)];
      // The limits the sandbox says the command ran into (a time-out is in the line above);
      // no flag is named: the model cannot raise a limit, only use less.
      const stoppedBy = { limitsHit: result.limitsHit?.filter((l) => l !== "timeout"), timedOut: false };
      for (const hit of limitHitsOf(stoppedBy, context.sandbox.info.limits, 0) ?? [])
        lines.push(`[${describeLimitHit(hit, {})}]`);
      if (result.truncated)
        lines.push(
          `[the command wrote ${result.outputBytes} bytes; the sandbox kept only the first part, the rest was dropped]`,
        );
      if (outputPath)
        lines.push(
          `[output is ${countLines(raw)} lines (${raw.length} characters); shown shortened below; full text: ${outputPath} (use read_file with startLine/endLine)]`,
        );
      lines.push(raw.length === 0 ? "(no output)" : shown.replace(/\n$/, ""));
      return {
        content: lines.join("\n"),
        isError: false,
        mutated: true,
        data: {
          exitCode: result.exitCode,
          signal: result.signal,
          durationMs: result.durationMs,
          timedOut: result.timedOut,
          ...(result.limitsHit ? { limitsHit: result.limitsHit } : {}),
          outputChars: raw.length,
          outputPath,
          summary: feedback.summary,
          findings: feedback.findings,
          fingerprint: feedback.fingerprint,
        },
      };
    },
  });
}

function dropCommandLine(text: string, command: string): string {
  return text.startsWith(`$ ${command.slice(0, 40)}`) ? text.slice(text.indexOf("\n") + 1) : text;
}

function combineOutput(result: ExecResult): string {
  const { stdout, stderr } = result;
  if (stderr.length === 0) return stdout;
  if (stdout.length === 0) return stderr;
  return `${stdout}${stdout.endsWith("\n") ? "" : "\n"}[stderr]\n${stderr}`;
}

/** "exit code 1 · 1.2 s", "killed by SIGKILL after timing out at 30000 ms · 30.0 s" … */
export function describeEnd(result: ExecResult, timeoutMs?: number): string {
  const took = formatDuration(result.durationMs);
  if (result.timedOut) {
    const limit = timeoutMs ? ` (timeoutMs ${timeoutMs})` : "";
    return `timed out${limit} and was killed${result.signal ? ` by ${result.signal}` : ""} · ${took}`;
  }
  if (result.exitCode === null) return `killed by signal ${result.signal ?? "(unknown)"} · ${took}`;
  return `exit code ${result.exitCode} · ${took}`;
}

// The sandbox's own temp dir ($TMPDIR, else /tmp): outside the workspace so it never enters
// the patch, and gone with the sandbox. The shell prints the absolute path it used.
async function saveFullOutput(sandbox: Sandbox, raw: string, n: number): Promise<string | undefined> {
  const id = sandbox.info.id.replace(/[^A-Za-z0-9_.-]/g, "_");
  const script =
    `d="\${TMPDIR:-/tmp}/closedloop-output-${id}" && mkdir -p "$d" && ` +
    `cat > "$d/shell-${n}.log" && printf '%s' "$d/shell-${n}.log"`;
  try {
    const saved = await sandbox.exec(script, { stdin: raw, timeoutMs: 30_000 });
    return saved.exitCode === 0 && saved.stdout.startsWith("/") ? saved.stdout : undefined;
  } catch {
    // A full /tmp must not turn a finished command into a failed tool call; the head and
    // tail are still shown, only the pointer to the rest is missing.
    return undefined;
  }
}
