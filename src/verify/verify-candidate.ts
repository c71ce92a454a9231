// The clean room: the verdict that ends a run is decided in a FRESH sandbox over the user's
// own tree with the candidate patch applied — minus every change to a protected path — so
// nothing the model did outside the patch (files in /tmp, installed packages, edits to the
// tests) can make it pass. The sandbox is always disposed, whatever happens.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { applyPatchIn, PatchFormatError } from "../patch/index.ts";
import {
  createSandbox,
  type LimitHit,
  limitHitsOf,
  type Sandbox,
  type SandboxPolicy,
} from "../sandbox/index.ts";
import { type BrowserProbe, compactOutput, createBrowserProbe, type Finding } from "../signals/index.ts";
import { runBrowserCheckInSandbox } from "./browser-check.ts";
import { deriveProtection } from "./derive-protected-files.ts";
import { formatVerifyText } from "./format-verify-text.ts";
import { parseHiddenCheck, stdoutMatches } from "./hidden-check.ts";
import { isProtectedPath } from "./match-glob.ts";
import { filterProtectedPatch, isProtectedBy } from "./protection.ts";
import { ranNoTests } from "./ran-no-tests.ts";
import { listProtectionSeeds, readOnlyCover } from "./read-only-cover.ts";
import { scanPatchForTampering, type TamperFinding } from "./tamper-scan.ts";
import type { CommandVerdict, Verdict, VerifierSpec, VerifyResult } from "./types.ts";

export interface VerifyCandidateInput {
  spec: VerifierSpec;
  /** The user's tree on the host (the clean room's baseline). */
  workspace: string;
  /** A git-style unified diff against that tree, as `Sandbox.diff()` writes it. */
  patch: string;
  sandboxPolicy: Omit<SandboxPolicy, "workspace">;
  /** The model's sandbox: when given and the clean room fails, the commands run there too. */
  working?: Sandbox;
  previous?: VerifyResult;
  /** Token budget for the failures in `text` (shared among failing commands). Default 3000. */
  budgetTokens?: number;
  /** A browser for the spec's browser checks, left open (by default one is launched per verification). */
  browserProbe?: BrowserProbe;
  /** How long a browser check's server may take to listen. Default 30 s. */
  serverWaitMs?: number;
  /**
   * Read the patch for code that rewrites the test machinery (tamper-scan.ts). Default true; the
   * CLI never turns it off. False only lets a test show that a cheat goes green without the scan.
   */
  tamperScan?: boolean;
}

interface RawRun {
  command: string;
  hidden: boolean;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  output: string;
  limitsHit?: LimitHit[];
  /** A hidden check exited 0 but did not print what it expects. */
  wrongOutput?: boolean;
}

// Test runners that watch for changes without CI set would never exit.
const verifierEnv = { CI: "true" };

export async function verifyCandidate(input: VerifyCandidateInput): Promise<VerifyResult> {
  const started = performance.now();
  const { spec } = input;
  let filtered: ReturnType<typeof filterProtectedPatch>;
  const protection = deriveProtection(spec, input.workspace);
  try {
    // Derived from the user's tree on every verification, whoever calls: by construction.
    filtered = filterProtectedPatch(input.patch, protection);
  } catch (error) {
    if (!(error instanceof PatchFormatError)) throw error;
    return errorResult(input, [], `the candidate patch could not be read: ${error.message}`, started);
  }
  // Code under test that rewrites the test machinery in memory passes any test: read the patch
  // as a reviewer would. The commands still run, so the model sees everything at once.
  const tampering =
    input.tamperScan === false
      ? []
      : scanPatchForTampering(filtered.patch, {
          readOriginal: (path) => readWorkspaceFile(input.workspace, path),
          // What survives the filter is code, whatever its name, except a protected test the user
          // let the model edit (--allow-edit): the tests' own business, like mocking a global.
          exempt: (path) => isProtectedPath(protection.protect, path),
        });
  // The protected files stay the user's while the verifier runs, too: bound read-only, so
  // the code under test cannot rewrite a test (or a runner config) that runs after it.
  const readOnlyPaths = readOnlyCover(
    input.workspace,
    listProtectionSeeds(input.workspace, protection),
    (path) => isProtectedBy(protection, path),
  );
  const clean = await createSandbox({ ...input.sandboxPolicy, workspace: input.workspace, readOnlyPaths });
  // Launched on first use, so a spec without browser checks never starts Chromium.
  let ownProbe: Promise<BrowserProbe> | undefined;
  const probe = async (): Promise<BrowserProbe> => {
    if (input.browserProbe) return input.browserProbe;
    ownProbe ??= createBrowserProbe();
    return ownProbe;
  };
  try {
    if (filtered.patch.length > 0) {
      const applied = await applyPatchIn(clean, input.workspace, filtered.patch);
      if (applied !== undefined)
        return errorResult(
          input,
          filtered.restored,
          `your patch does not apply to the original files: ${applied}`,
          started,
        );
    }
    const runs: RawRun[] = [];
    const where = await workspaceAlias(clean, input.workspace);
    // Each command starts with only what the patch and the earlier commands left on disk:
    // no process of an earlier one still runs (Sandbox.endStrays), also before browser checks.
    for (const [i, command] of spec.commands.entries()) {
      if (i > 0) await clean.endStrays();
      runs.push(await runCommand(clean, where, command, false, spec));
    }
    for (const command of spec.hidden) {
      await clean.endStrays();
      runs.push(await runCommand(clean, where, command, true, spec));
    }
    if ((spec.browserChecks ?? []).length > 0) await clean.endStrays();
    const judged = judge(runs, input);
    // Browser checks run whatever the commands said: the model gets every failure at once.
    const browserChecks: CommandVerdict[] = [];
    for (const check of spec.browserChecks ?? []) {
      try {
        browserChecks.push(
          await runBrowserCheckInSandbox(check, {
            sandbox: clean,
            workspace: where.workspace,
            ...(where.seenAs ? { seenAs: where.seenAs } : {}),
            env: verifierEnv,
            probe,
            ...(input.serverWaitMs !== undefined ? { waitMs: input.serverWaitMs } : {}),
          }),
        );
      } catch (error) {
        // No chromium, a bridge that cannot open: the verifier cannot run, not a red verdict.
        const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
        return errorResult(input, filtered.restored, `a browser check could not run: ${message}`, started);
      }
    }
    const commands = [...judged, ...browserChecks];
    const verdict: Verdict = commands.every((command) => command.passed) ? "pass" : "fail";
    let workingVerdict: Verdict | undefined;
    // Only shell commands are re-run in the working sandbox (to spot state outside the patch).
    if (input.working && judged.some((command) => !command.hidden && !command.passed)) {
      workingVerdict = "pass";
      const there = await workspaceAlias(input.working, input.working.info.workspace);
      for (const command of spec.commands) {
        const run = await runCommand(input.working, there, command, false, spec);
        if (!isPassing(run)) {
          workingVerdict = "fail";
          break;
        }
      }
    }
    return assemble(input, {
      verdict,
      commands,
      restoredProtected: filtered.restored,
      changedPaths: filtered.changed,
      workingVerdict,
      tampering,
      started,
    });
  } catch (error) {
    // A sandbox that fails mid-way (disposed, out of disk) is the verifier failing to run,
    // not a verdict on the code; the loop reports it and may try again.
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return errorResult(input, filtered.restored, `the clean-room sandbox failed: ${message}`, started);
  } finally {
    if (ownProbe) await (await ownProbe.catch(() => undefined))?.dispose();
    await clean.dispose();
  }
}

interface WorkspaceAlias {
  /** The workspace path as the caller names it. */
  workspace: string;
  /** Where the commands actually see it, when a backend keeps it elsewhere (a copy). */
  seenAs?: string;
}

/**
 * Backends that work on a copy print the copy's path in stack traces; mapping it back to the
 * workspace path keeps the model's view stable across sandboxes (and fingerprints equal).
 */
async function workspaceAlias(sandbox: Sandbox, workspace: string): Promise<WorkspaceAlias> {
  const result = await sandbox.exec("pwd -P", { cwd: workspace, timeoutMs: 10_000 });
  const seenAs = result.stdout.trim();
  return result.exitCode === 0 && seenAs.startsWith("/") && seenAs !== workspace
    ? { workspace, seenAs }
    : { workspace };
}

async function runCommand(
  sandbox: Sandbox,
  where: WorkspaceAlias,
  command: string,
  hidden: boolean,
  spec: VerifierSpec,
): Promise<RawRun> {
  // A hidden check's expected stdout stays on the host (hidden-check.ts).
  const check = hidden ? parseHiddenCheck(command) : { command };
  const result = await sandbox.exec(check.command, {
    cwd: where.workspace,
    timeoutMs: spec.timeoutMs,
    env: verifierEnv,
  });
  const combined =
    result.stderr.length === 0
      ? result.stdout
      : result.stdout.length === 0
        ? result.stderr
        : `${result.stdout}${result.stdout.endsWith("\n") ? "" : "\n"}${result.stderr}`;
  const output = where.seenAs ? combined.replaceAll(where.seenAs, where.workspace) : combined;
  const timeoutMs = spec.timeoutMs ?? sandbox.info.limits.timeoutMs;
  const limitsHit = limitHitsOf(result, sandbox.info.limits, timeoutMs);
  return {
    command,
    hidden,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    durationMs: Math.round(result.durationMs),
    output,
    ...(limitsHit ? { limitsHit } : {}),
    ...(stdoutMatches(check, result.stdout) ? {} : { wrongOutput: true }),
  };
}

function isPassing(run: RawRun): boolean {
  return run.exitCode === 0 && !run.timedOut && !run.wrongOutput && !ranNoTests(run.output);
}

function judge(runs: RawRun[], input: VerifyCandidateInput): CommandVerdict[] {
  const failing = runs.filter((run) => !run.hidden && !isPassing(run)).length;
  const budget = Math.max(400, Math.floor((input.budgetTokens ?? 3000) / Math.max(1, failing)));
  return runs.map((run) => {
    const previous = input.previous?.commands.find(
      (c) => c.command === run.command && c.hidden === run.hidden,
    );
    const feedback = compactOutput(run.output, {
      command: run.command,
      exitCode: run.exitCode,
      budgetTokens: isPassing(run) ? 200 : budget,
      previous: previous?.feedback,
    });
    const noTests = run.exitCode === 0 && ranNoTests(run.output, feedback.summary);
    return {
      command: run.command,
      hidden: run.hidden,
      exitCode: run.exitCode,
      signal: run.signal,
      timedOut: run.timedOut,
      durationMs: run.durationMs,
      feedback,
      ranNoTests: noTests,
      passed: run.exitCode === 0 && !run.timedOut && !noTests && !run.wrongOutput,
      ...(run.limitsHit ? { limitsHit: run.limitsHit } : {}),
    };
  });
}

interface Decided {
  verdict: Verdict;
  commands: CommandVerdict[];
  restoredProtected: string[];
  changedPaths: string[];
  workingVerdict?: Verdict;
  error?: string;
  tampering?: TamperFinding[];
  started: number;
}

function assemble(input: VerifyCandidateInput, given: Decided): VerifyResult {
  const tampered = given.verdict !== "error" && (given.tampering?.length ?? 0) > 0;
  const decided: Decided = tampered ? { ...given, verdict: "fail" } : given;
  const failing = decided.commands.filter((command) => !command.passed);
  const findings: Finding[] = failing
    .filter((command) => !command.hidden)
    .flatMap((c) => c.feedback.findings);
  const failingCount =
    decided.verdict === "error"
      ? 1
      : failing.reduce(
          (sum, c) =>
            sum + (c.hidden ? 1 : Math.max(1, c.feedback.findings.length, c.feedback.summary.failed)),
          0,
        ) || (tampered ? 1 : 0);
  const result: VerifyResult = {
    verdict: decided.verdict,
    cleanRoom: true,
    commands: decided.commands,
    findings,
    failingCount,
    fingerprint: fingerprintOf(decided, failing),
    text: formatVerifyText({ ...decided, failingCount, findings, previous: input.previous }),
    restoredProtected: decided.restoredProtected,
    changedPaths: decided.changedPaths,
    durationMs: Math.round(performance.now() - decided.started),
  };
  if (decided.workingVerdict !== undefined) result.workingVerdict = decided.workingVerdict;
  if (decided.error !== undefined) result.error = decided.error;
  if (tampered) result.tampering = decided.tampering!;
  return result;
}

function errorResult(
  input: VerifyCandidateInput,
  restored: string[],
  error: string,
  started: number,
): VerifyResult {
  return assemble(input, {
    verdict: "error",
    commands: [],
    restoredProtected: restored,
    changedPaths: [],
    error,
    started,
  });
}

/**
 * Same failures, same fingerprint: parsed findings when the signals module understood the
 * output, otherwise the output with numbers blanked (durations, pids, line shifts), so two
 * runs of the same broken code match and a different failure does not.
 */
function fingerprintOf(decided: Decided, failing: CommandVerdict[]): string {
  if (decided.tampering?.length && decided.verdict === "fail") {
    const rest = fingerprintOf({ ...decided, tampering: [] }, failing);
    return `tamper:${digest([rest, ...decided.tampering.map((f) => `${f.file}|${f.touches}|${f.code}`)].join("\n"))}`;
  }
  if (decided.verdict === "pass") return "pass";
  if (decided.verdict === "error") return `error:${digest(decided.error ?? "")}`;
  const lines = failing.map((command, i) => {
    const label = command.hidden ? `hidden#${i}` : command.command;
    const detail = command.feedback.fingerprint || digest(normalizeOutput(command.feedback.text));
    return `${label}|${command.timedOut ? "timeout" : (command.exitCode ?? command.signal)}|${command.ranNoTests}|${detail}`;
  });
  return digest(lines.sort().join("\n"));
}

function normalizeOutput(text: string): string {
  return stripVTControlCharacters(text)
    .replace(/\/tmp\/[^\s:'")]+/g, "/tmp/…")
    .replace(/\d+(\.\d+)?/g, "#");
}

/** A file of the user's tree, as the patch found it (undefined when absent, outside or huge). */
function readWorkspaceFile(workspace: string, path: string): string | undefined {
  const full = resolve(workspace, path);
  if (relative(workspace, full).startsWith("..")) return undefined;
  try {
    return statSync(full).size <= 2_000_000 ? readFileSync(full, "utf8") : undefined;
  } catch {
    return undefined;
  }
}

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}
