// The baseline witness, graded as SWE-bench grades a patch: every test that failed on the user's
// tree (or every test the user named with --fail-to-pass) now passes, every test that passed
// still passes, no fewer tests ran, and output that was understood at baseline still is. A
// test whose status flips between runs of the same candidate is flaky and never counts as green.
import {
  type CommandCensus,
  findTest,
  matchesTestName,
  statusIn,
  type TestCensus,
  type TestStatus,
} from "./test-census.ts";

export interface TestStatusChange {
  id: string;
  before: TestStatus;
  after: TestStatus;
}

export interface WitnessJudgement {
  holds: boolean;
  failToPass: TestStatusChange[];
  passToPass: TestStatusChange[];
  /** One sentence per broken promise, safe to show the model (hidden checks stay nameless). */
  problems: string[];
  /** Tests whose status changed between runs of the same tree, by name. */
  flaky: string[];
}

export interface WitnessInput {
  baseline: TestCensus;
  /** The candidate's runs: the verdict's run, then any confirming runs of the same patch. */
  runs: TestCensus[];
  /** The user's own fail-to-pass list; default: every test that failed at baseline. */
  failToPass?: string[];
  /** Tests that must pass besides the ones that passed at baseline. */
  passToPass?: string[];
  /** Tests that flipped between baseline runs: not required to keep passing, reported. */
  baselineFlaky?: string[];
  /** Files the candidate patch deletes: a failure reported in one is gone, not fixed. */
  deletedFiles?: string[];
}

const maxListed = 5;

export function judgeWitness(input: WitnessInput): WitnessJudgement {
  const { baseline, runs } = input;
  const first = runs[0]!;
  const flaky = flakyTests(runs);
  const baselineFlaky = new Set(input.baselineFlaky ?? []);
  const deleted = new Set(input.deletedFiles ?? []);
  const after = (label: string, id: string): TestStatus => {
    const file = commandOf(baseline, label)?.failingFiles[id];
    if (file !== undefined && deleted.has(file)) return "missing";
    const before = commandOf(baseline, label);
    const statuses = runs.map((run) => {
      const now = commandOf(run, label);
      // A green run vouches for unnamed tests only if it ran at least as many as the baseline.
      const mayInfer = !before || !now || now.ran >= before.ran;
      return statusIn(now, id, mayInfer);
    });
    return statuses.every((s) => s === statuses[0]) ? statuses[0]! : "fail";
  };

  const failToPass: TestStatusChange[] = [];
  if (input.failToPass && input.failToPass.length > 0) {
    for (const name of input.failToPass) {
      const atBaseline = findTest(baseline, name);
      const now = findTest(first, name);
      const label = now?.command.label ?? atBaseline?.command.label;
      const id = now?.id ?? atBaseline?.id ?? name;
      failToPass.push({
        id,
        before: atBaseline ? statusIn(atBaseline.command, atBaseline.id) : "missing",
        after: label === undefined ? "missing" : after(label, id),
      });
    }
  } else {
    for (const command of baseline.commands)
      for (const id of command.failing)
        failToPass.push({ id, before: "fail", after: after(command.label, id) });
  }

  const passToPass: TestStatusChange[] = [];
  for (const command of baseline.commands)
    for (const id of command.passing) {
      if (baselineFlaky.has(id) || failToPass.some((t) => t.id === id)) continue;
      passToPass.push({ id, before: "pass", after: after(command.label, id) });
    }
  for (const name of input.passToPass ?? []) {
    if (passToPass.some((t) => matchesTestName(t.id, name))) continue;
    const atBaseline = findTest(baseline, name);
    const now = findTest(first, name);
    const id = now?.id ?? atBaseline?.id ?? name;
    const label = now?.command.label ?? atBaseline?.command.label;
    passToPass.push({
      id,
      before: atBaseline ? statusIn(atBaseline.command, atBaseline.id) : "missing",
      after: label === undefined ? "missing" : after(label, id),
    });
  }

  const problems: string[] = [];
  const notPassing = (list: TestStatusChange[]) => list.filter((t) => t.after !== "pass");
  const stillFailing = notPassing(failToPass);
  if (stillFailing.length > 0)
    problems.push(
      `fail-to-pass: ${describe(stillFailing)} ${stillFailing.length === 1 ? "does" : "do"} not pass`,
    );
  const broken = notPassing(passToPass);
  if (broken.length > 0)
    problems.push(
      `pass-to-pass: ${describe(broken)} passed at baseline and ${broken.length === 1 ? "does" : "do"} not now`,
    );
  for (const command of baseline.commands)
    problems.push(...countProblems(command, commandOf(first, command.label)));
  if (flaky.length > 0)
    problems.push(
      `flaky: ${list(flaky)} changed status between two clean-room runs of the same patch; a flaky test never counts as passing`,
    );
  return { holds: problems.length === 0, failToPass, passToPass, problems, flaky };
}

/** The promises that hold per command: as many tests ran, and the output is still understood. */
function countProblems(before: CommandCensus, now: CommandCensus | undefined): string[] {
  if (!now) return [`${before.label} did not run`];
  // Only runs that counted tests at baseline promise anything here: tsc or eslint print nothing when clean.
  if (before.hidden || before.ran === 0 || before.status !== "parsed") return [];
  if (now.status !== "parsed")
    return [
      `${now.label}: its output was understood at baseline (${before.ran} tests) and is ${now.status} now; the runner may have stopped early`,
    ];
  if (now.ran < before.ran)
    return [
      `${now.label}: fewer tests ran than at baseline (${now.ran} < ${before.ran}); deleted or skipped tests do not count`,
    ];
  return [];
}

/** Tests whose status differs between the runs (missing in one counts as a change). */
export function flakyTests(runs: TestCensus[]): string[] {
  if (runs.length < 2) return [];
  const flaky = new Set<string>();
  const labels = new Set(runs.flatMap((run) => run.commands.map((c) => c.label)));
  for (const label of labels) {
    const ids = new Set(
      runs.flatMap((run) => {
        const c = commandOf(run, label);
        return c ? [...c.failing, ...c.passing] : [];
      }),
    );
    for (const id of ids) {
      const statuses = new Set(runs.map((run) => statusIn(commandOf(run, label), id)));
      if (statuses.size > 1) flaky.add(id);
    }
  }
  return [...flaky].sort();
}

function commandOf(census: TestCensus, label: string): CommandCensus | undefined {
  return census.commands.find((c) => c.label === label);
}

function describe(tests: TestStatusChange[]): string {
  const shown = tests.slice(0, maxListed).map((t) => `"${t.id}" (${t.after})`);
  return tests.length > maxListed
    ? `${shown.join(", ")} and ${tests.length - maxListed} more`
    : shown.join(", ");
}

function list(names: string[]): string {
  const shown = names.slice(0, maxListed).map((n) => `"${n}"`);
  return names.length > maxListed
    ? `${shown.join(", ")} and ${names.length - maxListed} more`
    : shown.join(", ");
}
