// What one verifier run says about each test, as the witness needs it: per command, the ids
// of the failing tests (the parser's name for them: file, suite path and test, as printed),
// the names of the passing ones where the runner prints them, and how many ran. A hidden
// check is one pseudo-test ("hidden check #1") so its content never leaks into a report.
import { failureKey } from "../signals/index.ts";
import type { CommandVerdict, VerifyResult } from "./types.ts";

export type TestStatus = "pass" | "fail" | "missing";

export interface CommandCensus {
  /** The command line, or "hidden check #N". */
  label: string;
  hidden: boolean;
  /** parsed: a runner's output was understood; crashed: killed, timed out or ended by a signal. */
  status: "parsed" | "unparsed" | "crashed";
  exitCode: number | null;
  passed: boolean;
  /** Sorted, unique ids of what failed (a test's name; for other findings, kind|file|message). */
  failing: string[];
  /** The file each failing id was reported in, where the parser said. */
  failingFiles: Record<string, string>;
  /** Names of the passing tests, when the runner prints them (see namesPassing). */
  passing: string[];
  /** True when the runner named its passing tests, so a test absent from both lists did not run. */
  namesPassing: boolean;
  /** Tests counted (passed + failed as the runner totals them). */
  ran: number;
  /** Total of passing tests as the runner counts them. */
  passedCount: number;
}

export interface TestCensus {
  commands: CommandCensus[];
  /** The verifier could not run at all (a sandbox failure, a patch that does not apply). */
  error?: string;
}

export function censusOf(result: VerifyResult): TestCensus {
  let hiddenIndex = 0;
  const commands = result.commands.map((command) =>
    commandCensus(command, command.hidden ? ++hiddenIndex : 0),
  );
  return result.verdict === "error"
    ? { commands, error: result.error ?? "the verifier could not run" }
    : { commands };
}

function commandCensus(command: CommandVerdict, hiddenIndex: number): CommandCensus {
  const crashed = command.timedOut || command.signal !== null;
  const { summary } = command.feedback;
  if (command.hidden) {
    const label = `hidden check #${hiddenIndex}`;
    return {
      label,
      hidden: true,
      status: crashed ? "crashed" : "parsed",
      exitCode: command.exitCode,
      passed: command.passed,
      failing: command.passed ? [] : [label],
      failingFiles: {},
      passing: command.passed ? [label] : [],
      namesPassing: true,
      ran: 1,
      passedCount: command.passed ? 1 : 0,
    };
  }
  const failing = new Set<string>();
  const failingFiles: Record<string, string> = {};
  for (const finding of command.feedback.findings) {
    if (finding.severity === "warning") continue;
    const id = finding.kind === "test-failure" && finding.test ? finding.test : failureKey(finding);
    failing.add(id);
    if (finding.file) failingFiles[id] ??= finding.file;
  }
  // A command that failed with nothing parsed is one failure: its own exit.
  if (!command.passed && failing.size === 0) failing.add(`${command.command} (exit ${exitLabel(command)})`);
  const passing = (command.feedback.passingTests ?? []).filter((name) => !failing.has(name));
  return {
    label: command.command,
    hidden: false,
    status: crashed ? "crashed" : summary.status,
    exitCode: command.exitCode,
    passed: command.passed,
    failing: [...failing].sort(),
    failingFiles,
    passing: [...new Set(passing)].sort(),
    namesPassing: passing.length > 0,
    ran: summary.passed + summary.failed,
    passedCount: summary.passed,
  };
}

function exitLabel(command: CommandVerdict): string {
  if (command.timedOut) return "timed out";
  if (command.ranNoTests) return "0, but it ran no tests";
  return String(command.exitCode ?? command.signal);
}

/** A test's status in one command's census; a test neither failing nor named passing is "missing". */
export function statusIn(census: CommandCensus | undefined, id: string, mayInfer = true): TestStatus {
  if (!census) return "missing";
  if (census.failing.includes(id)) return "fail";
  if (census.passing.includes(id)) return "pass";
  // A runner that prints no passing names (jest, vitest, plain pytest) vouches, when green and
  // understood, for every test it did not report failing (the witness's count check guards
  // deletion); a command that counts no tests (tsc, eslint) passes by exiting 0 with no findings.
  if (mayInfer && !census.namesPassing && census.passed && (census.ran === 0 || census.status === "parsed"))
    return "pass";
  return "missing";
}

/** The census entry for a test named by the user: exact id, or the id's last segments. */
export function findTest(
  census: TestCensus,
  name: string,
): { command: CommandCensus; id: string } | undefined {
  for (const command of census.commands) {
    for (const id of [...command.failing, ...command.passing])
      if (matchesTestName(id, name)) return { command, id };
  }
  return undefined;
}

export function matchesTestName(id: string, name: string): boolean {
  return id === name || id.endsWith(` > ${name}`) || id.endsWith(`::${name}`) || id.endsWith(` › ${name}`);
}
