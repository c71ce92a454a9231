// The verdict as the model reads it: headline, what was undone, each check with its
// compacted failures, and what changed since the last verification. Hidden checks show
// only that they passed or that one failed — never their command or output, so the model
// cannot tailor the code to them.
import { describeLimitHit, type LimitRaisers } from "../sandbox/index.ts";
import type { Finding } from "../signals/index.ts";
import { describeTampering, type TamperFinding } from "./tamper-scan.ts";
import type { CommandVerdict, Verdict, VerifyResult } from "./types.ts";

export interface VerifyTextInput {
  verdict: Verdict;
  commands: CommandVerdict[];
  failingCount: number;
  restoredProtected: string[];
  workingVerdict?: Verdict;
  error?: string;
  previous?: VerifyResult;
  findings: Finding[];
  /** Lines of the patch that change how tests judge (tamper-scan.ts): the verdict is "fail". */
  tampering?: readonly TamperFinding[];
}

const cleanRoomNote = "clean room: a fresh sandbox with the original files plus your patch";

export function formatVerifyText(input: VerifyTextInput): string {
  const out: string[] = [headline(input)];
  if (input.restoredProtected.length > 0)
    out.push(
      `Protected files are not yours to change; your changes to them were undone for this check: ${input.restoredProtected.join(", ")}`,
    );
  if (input.verdict === "error") {
    out.push(`The verifier could not run: ${input.error ?? "unknown reason"}`);
    out.push("This is not a verdict on your code's behaviour; fix what stops the verifier from running.");
    return out.join("\n");
  }
  if (input.tampering?.length) {
    out.push(`Not verified: ${describeTampering(input.tampering)}.`);
    for (const finding of input.tampering.slice(0, 8))
      out.push(`    ${finding.file}:${finding.line}: ${finding.code}`);
    out.push(
      "Code under test must not change the test framework, the runner's exit status or its output: whatever the tests then say proves nothing. Fix the behaviour the tests check instead.",
    );
  }
  if (input.workingVerdict === "pass" && input.verdict === "fail")
    out.push(
      "The verifier PASSES in your working sandbox but FAILS in the clean room: your fix depends on state " +
        "outside the patch — files outside the workspace (such as /tmp or your home directory), installed " +
        "packages, environment variables, running processes" +
        (input.restoredProtected.length > 0
          ? ", or your changes to protected files (which never count)"
          : "") +
        ". Put everything the fix needs into the workspace's own files.",
    );
  const visible = input.commands.filter((command) => !command.hidden);
  for (const command of visible) {
    const end = command.browser
      ? `${command.browser.summary} · ${formatTook(command.durationMs)}`
      : describeCommandEnd(command);
    out.push(`${command.passed ? "✓" : "✗"} ${command.command} — ${end}`);
    if (!command.passed && command.feedback.text.trim().length > 0)
      out.push(indent(command.feedback.text.trimEnd()));
  }
  const hidden = input.commands.filter((command) => command.hidden);
  const hiddenFailed = hidden.filter((command) => !command.passed).length;
  if (hiddenFailed > 0)
    out.push(hiddenFailed === 1 ? "✗ a hidden check failed" : `✗ ${hiddenFailed} hidden checks failed`);
  else if (hidden.length > 0) out.push("✓ hidden checks passed");
  if (input.previous) out.push(...describeChange(input));
  return out.join("\n");
}

function headline(input: VerifyTextInput): string {
  switch (input.verdict) {
    case "pass":
      return `Verifier: PASS — every check passed (${cleanRoomNote}).`;
    case "fail": {
      if (input.tampering?.length && input.commands.every((command) => command.passed))
        return `Verifier: FAIL — the checks passed, but the patch changes how tests judge (${cleanRoomNote}).`;
      const failed = input.commands.filter((command) => !command.passed).length;
      const failures = input.failingCount === 1 ? "1 failure" : `${input.failingCount} failures`;
      return `Verifier: FAIL — ${failed} of ${input.commands.length} checks failed, ${failures} (${cleanRoomNote}).`;
    }
    case "error":
      return "Verifier: ERROR — the verifier itself could not run.";
  }
}

/** How `closedloop run` raises each limit of the clean room (its flags and config keys). */
const runRaisers: LimitRaisers = {
  memory: { flag: "--memory", configKey: "memory" },
  disk: { flag: "--disk", configKey: "disk" },
  timeout: { flag: "--verify-timeout", configKey: "verifyTimeout" },
};

export function describeCommandEnd(command: CommandVerdict): string {
  const took = formatTook(command.durationMs);
  // A failed command that ran into a limit says which, and how to raise it; a passing one needs no advice.
  const limits = command.passed
    ? ""
    : (command.limitsHit ?? []).map((hit) => `; ${describeLimitHit(hit, runRaisers)}`).join("");
  if (command.timedOut) return `timed out and was killed · ${took}${limits}`;
  if (command.exitCode === null)
    return `killed by signal ${command.signal ?? "(unknown)"} · ${took}${limits}`;
  if (command.ranNoTests)
    return `exit code 0 but it ran no tests · ${took} (a test run that runs nothing proves nothing; the tests must exist and run)`;
  return `exit code ${command.exitCode} · ${took}${limits}`;
}

function formatTook(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function describeChange(input: VerifyTextInput): string[] {
  const previous = input.previous!;
  const lines: string[] = [];
  if (previous.verdict === "error")
    return ["Since the last verification: the verifier runs again (it could not run last time)."];
  const count =
    previous.failingCount === input.failingCount
      ? `failures unchanged at ${input.failingCount}`
      : `failures ${previous.failingCount} → ${input.failingCount}`;
  const before = new Map(previous.commands.filter((c) => !c.hidden).map((c) => [c.command, c.passed]));
  const nowPassing: string[] = [];
  const nowFailing: string[] = [];
  for (const command of input.commands.filter((c) => !c.hidden)) {
    const was = before.get(command.command);
    if (was === false && command.passed) nowPassing.push(command.command);
    if (was === true && !command.passed) nowFailing.push(command.command);
  }
  const parts = [count];
  if (nowPassing.length > 0) parts.push(`now passing: ${nowPassing.join(", ")}`);
  if (nowFailing.length > 0) parts.push(`now failing: ${nowFailing.join(", ")}`);
  lines.push(`Since the last verification: ${parts.join("; ")}.`);
  // A failing command's compacted output already says which of its failures are fixed or
  // new; the lists below are for when nothing visible fails and that output is not shown.
  if (input.commands.some((command) => !command.hidden && !command.passed)) return lines;
  const oldKeys = new Set(previous.findings.map(findingKey));
  const newKeys = new Set(input.findings.map(findingKey));
  const fixed = [...oldKeys].filter((key) => !newKeys.has(key));
  const added = [...newKeys].filter((key) => !oldKeys.has(key));
  if (fixed.length > 0) lines.push(`  fixed: ${summarize(fixed)}`);
  if (added.length > 0) lines.push(`  new: ${summarize(added)}`);
  return lines;
}

function findingKey(finding: Finding): string {
  const where = finding.file ? `${finding.file}${finding.line ? `:${finding.line}` : ""} ` : "";
  return finding.test ? `${finding.test}` : `${where}${finding.message.split("\n")[0]!.slice(0, 120)}`;
}

function summarize(keys: string[]): string {
  const shown = keys.slice(0, 5).join("; ");
  return keys.length > 5 ? `${shown}; and ${keys.length - 5} more` : shown;
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n");
}
