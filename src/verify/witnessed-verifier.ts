// The verifier the loop is given: a clean-room run judged against the baseline witness. The
// baseline (the user's tree, no patch) is run once, plus `confirm` more times to find tests that
// flip on their own; each candidate's green verdict must then hold up in `confirm` more clean-room
// runs of the same patch. An empty patch is never verified: it cannot be a fix.
import { parsePatchFiles } from "../patch/index.ts";
import { crashedAgainst, formatProgress, type Progress, progressOf } from "./progress.ts";
import { censusOf, type TestCensus } from "./test-census.ts";
import type { VerifyResult } from "./types.ts";
import { flakyTests, judgeWitness, type WitnessJudgement } from "./witness.ts";

export interface WitnessOptions {
  /** The user's fail-to-pass list (`--fail-to-pass`); default: what failed at baseline. */
  failToPass?: string[];
  passToPass?: string[];
  /** Extra clean-room runs that must agree before a green verdict stands (default 1; 0 = off). */
  confirm?: number;
}

export type RunVerifier = (patch: string, previous?: VerifyResult) => Promise<VerifyResult>;

export interface Baseline {
  result: VerifyResult;
  census: TestCensus;
  progress: Progress;
  /** Tests that flipped between the baseline runs. */
  flaky: string[];
}

export interface WitnessedVerifier {
  /** Runs the baseline once (later calls return the same). */
  baseline(): Promise<Baseline>;
  verify(patch: string, previous?: VerifyResult): Promise<VerifyResult>;
}

export const defaultConfirmRuns = 1;

export function createWitnessedVerifier(run: RunVerifier, options: WitnessOptions = {}): WitnessedVerifier {
  const confirm = Math.max(0, options.confirm ?? defaultConfirmRuns);
  let baseline: Promise<Baseline> | undefined;

  const runBaseline = async (): Promise<Baseline> => {
    const result = await run("");
    const censuses = [censusOf(result)];
    // Only a run that worked is worth repeating: an error says nothing about flakiness.
    if (result.verdict !== "error")
      for (let i = 0; i < confirm; i++) censuses.push(censusOf(await run("", result)));
    const census = censuses[0]!;
    const flaky = flakyTests(censuses);
    const failing = census.commands.flatMap((c) => c.failing);
    const progress = progressOf(result, failing);
    const witness: WitnessJudgement = {
      holds: false,
      failToPass: failing.map((id) => ({ id, before: "fail", after: "fail" })),
      passToPass: census.commands.flatMap((c) =>
        c.passing.map((id) => ({ id, before: "pass" as const, after: "pass" as const })),
      ),
      problems: [],
      flaky,
    };
    const text =
      flaky.length > 0
        ? `${result.text}\n\nflaky at baseline (status changed between two runs of the untouched tree): ${flaky.join(", ")}`
        : result.text;
    return { result: { ...result, text, witness, progress }, census, progress, flaky };
  };

  return {
    baseline() {
      baseline ??= runBaseline();
      return baseline;
    },
    async verify(patch, previous) {
      const base = await this.baseline();
      const result = await run(patch, previous);
      const runs = [censusOf(result)];
      const failing = () => runs[0]!.commands.flatMap((c) => c.failing);
      const progressNow = () => crashedAgainst(progressOf(result, failing()), base.progress);
      if (result.verdict === "error") return { ...result, progress: progressNow() };
      const deletedFiles = deletedPaths(patch);
      let witness = judge(base, runs, options, deletedFiles);
      const empty =
        patch.trim() === "" || (result.changedPaths !== undefined && result.changedPaths.length === 0);
      // Confirm only what would otherwise be green: a red verdict needs no second opinion.
      if (result.verdict === "pass" && witness.holds && !empty) {
        for (let i = 0; i < confirm; i++) {
          const again = await run(patch, result);
          runs.push(censusOf(again));
          if (again.verdict === "error") break;
        }
        witness = judge(base, runs, options, deletedFiles);
      }
      const problems = [...witness.problems];
      if (empty) problems.unshift("the patch changes nothing: an empty patch is never verified");
      const holds = problems.length === 0;
      const verdict = result.verdict === "pass" && holds ? "pass" : "fail";
      const progress = progressNow();
      const out: VerifyResult = { ...result, verdict, witness: { ...witness, holds, problems }, progress };
      if (verdict !== result.verdict || problems.length > 0) {
        out.text = `${result.text}\n\n${formatWitnessProblems(problems)}`;
        out.failingCount = Math.max(result.failingCount, 1);
        if (result.verdict === "pass") out.fingerprint = `witness:${problems.join("|")}`;
      }
      if (verdict === "pass")
        out.text = `${result.text}\n${formatWitnessPass(out.witness!)} (${formatProgress(progress)})`;
      return out;
    },
  };
}

function judge(
  base: Baseline,
  runs: TestCensus[],
  options: WitnessOptions,
  deletedFiles: string[],
): WitnessJudgement {
  return judgeWitness({
    baseline: base.census,
    runs,
    baselineFlaky: base.flaky,
    deletedFiles,
    ...(options.failToPass ? { failToPass: options.failToPass } : {}),
    ...(options.passToPass ? { passToPass: options.passToPass } : {}),
  });
}

/** Workspace-relative paths a git-style patch deletes. */
function deletedPaths(patch: string): string[] {
  try {
    return parsePatchFiles(patch).files.flatMap((file) =>
      file.newPath === null && file.oldPath !== null ? [file.oldPath] : [],
    );
  } catch {
    return [];
  }
}

export function formatWitnessProblems(problems: string[]): string {
  return ["not verified by the baseline witness:", ...problems.map((p) => `  - ${p}`)].join("\n");
}

function formatWitnessPass(witness: WitnessJudgement): string {
  const f2p = witness.failToPass.length;
  const p2p = witness.passToPass.length;
  return `witness: ${f2p} fail-to-pass and ${p2p} named pass-to-pass test${p2p === 1 ? "" : "s"} hold`;
}
