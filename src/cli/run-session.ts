// One run of the loop as the CLI drives it (run, demo and resume all come here): build the
// model, the working sandbox and the clean-room verifier, stream events to the store and the
// terminal, then write patch.diff and report.json and, only when asked and verified, put the
// patch on the host.
import { chmodSync, mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import {
  type LoopEvent,
  type LoopResult,
  loadSystemPrompt,
  type ResumePlan,
  type RunConfig,
  runLoop,
} from "../loop/index.ts";
import {
  createModelClient,
  estimateUncachedCostUsd,
  type ModelClient,
  type ModelConfig,
} from "../model/index.ts";
import { applyPatchToHost, commitPatchToBranch, describeBranchCommit } from "../patch/index.ts";
import { type BackendName, createSandbox, type SandboxLimits } from "../sandbox/index.ts";
import { RunStore, writeFileAtomic } from "../store/index.ts";
import { closeBrowser, createToolset, stopServers } from "../tools/index.ts";
import { UserError } from "../util/index.ts";
import {
  browserCheckLabel,
  createWitnessedVerifier,
  deriveProtection,
  type VerifierSpec,
  type VerifyResult,
  verifyCandidate,
  type WitnessOptions,
} from "../verify/index.ts";
import { createProgressRenderer, ignoreClosedStdout } from "./progress-renderer.ts";
import type { OutputMode } from "./run-options.ts";

/** What a run needs to be rebuilt by `resume` (kept in run.started's config.launch). */
export interface LaunchSpec {
  modelId: string;
  modelConfig?: ModelConfig;
  backend: BackendName;
  allowNet: string[];
  /** The sandbox's knobs from --allow-host-port, --env, --memory, --cpus, --disk, --timeout. */
  allowHostPorts?: number[];
  env?: string[];
  limits?: Partial<SandboxLimits>;
  spec: VerifierSpec;
  systemPrompt?: string;
  /**
   * Hidden checks are not kept here: the event log may sit inside the workspace, where the
   * model can read it. They live in a file outside it (see hiddenChecksFile).
   */
  hiddenFile?: string;
  /** The baseline witness's options (--fail-to-pass, --pass-to-pass, --confirm). */
  witness?: WitnessOptions;
  /** --apply / --branch: kept here so a resumed run honours them too. */
  apply?: boolean;
  branch?: string;
}

export interface SessionInput {
  runId: string;
  config: RunConfig;
  launch: LaunchSpec;
  output: OutputMode;
  runsDir: string;
  resume?: ResumePlan;
  /** Called with the result before the summary is printed (the demo prints its patch). */
  afterRun?: (result: LoopResult) => void;
  /**
   * Another program drives this run (the MCP server's `run` tool): nothing is printed and no
   * signal handlers are installed; events go to `onEvent` and `signal` stops the run.
   */
  embedded?: { onEvent: (event: LoopEvent) => void; signal: AbortSignal };
}

/** Scripted model files are resolved now, so `resume` from another directory finds them. */
export function absoluteModelId(id: string): string {
  if (!id.startsWith("scripted:")) return id;
  const file = id.slice("scripted:".length);
  return isAbsolute(file) ? id : `scripted:${resolve(file)}`;
}

/** Where a run's hidden checks are kept: the user's state directory, never the workspace. */
export function hiddenChecksFile(runId: string): string {
  const state = process.env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(state, "closedloop", "hidden", `${runId}.json`);
}

/** Moves the hidden commands out of the spec into their own file; returns the launch to log. */
export function sealHiddenChecks(runId: string, launch: LaunchSpec): LaunchSpec {
  if (launch.spec.hidden.length === 0) return launch;
  const file = hiddenChecksFile(runId);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileAtomic(file, JSON.stringify(launch.spec.hidden));
  chmodSync(file, 0o600);
  return { ...launch, spec: { ...launch.spec, hidden: [] }, hiddenFile: file };
}

function unsealHiddenChecks(launch: LaunchSpec, hiddenCount: number): VerifierSpec {
  if (!launch.hiddenFile) return launch.spec;
  try {
    return { ...launch.spec, hidden: JSON.parse(readFileSync(launch.hiddenFile, "utf8")) as string[] };
  } catch {
    throw new UserError(
      `this run has ${hiddenCount} hidden check(s) kept in ${launch.hiddenFile}, which cannot be read; without them the verdict would not mean the same`,
    );
  }
}

/**
 * A cost cap needs a price: with none, no worst case can be computed and the cap would be a
 * promise nobody keeps. Refuse to start and say how to give one.
 */
export function assertCostBudgetPriced(model: ModelClient, budgets: RunConfig["budgets"]): void {
  if (budgets.maxCostUsd === undefined || model.info.priceKnown) return;
  const example = JSON.stringify({
    prices: { [model.info.id]: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 } },
  });
  throw new UserError(
    `--max-cost ${budgets.maxCostUsd} needs the price of ${model.info.id}, and closedloop has none: ` +
      `add it to closedloop.config.json in USD per million tokens, e.g. ${example} ` +
      "(cacheRead/cacheWrite default to the input price), or run without --max-cost",
  );
}

export function buildRunConfig(
  task: string,
  workspace: string,
  launch: LaunchSpec,
  budgets: RunConfig["budgets"],
): RunConfig {
  const model = createModelClient(launch.modelId, launch.modelConfig ? { config: launch.modelConfig } : {});
  assertCostBudgetPriced(model, budgets);
  const hidden: string[] = launch.hiddenFile
    ? JSON.parse(readFileSync(launch.hiddenFile, "utf8"))
    : launch.spec.hidden;
  // The same derivation the clean room makes, so the tools refuse and the handover drops
  // exactly what the verifier ignores.
  const protection = deriveProtection({ ...launch.spec, hidden }, workspace);
  return {
    task,
    workspace,
    model: { id: model.info.id, label: model.info.label, contextWindow: model.info.contextWindow },
    verify: {
      // Browser checks are listed by name so progress shows everything that decides "done".
      commands: [...launch.spec.commands, ...(launch.spec.browserChecks ?? []).map(browserCheckLabel)],
      protect: [...protection.protect],
      ...(protection.allowEdit.length > 0 ? { allowEdit: [...protection.allowEdit] } : {}),
      hidden: hidden.length,
      ...(launch.spec.timeoutMs ? { timeoutMs: launch.spec.timeoutMs } : {}),
    },
    budgets,
    launch: launch as unknown as Record<string, unknown>,
  };
}

export async function runSession(input: SessionInput): Promise<number> {
  const { config, launch, embedded } = input;
  if (!embedded) ignoreClosedStdout();
  const spec = unsealHiddenChecks(launch, config.verify.hidden);
  const plain = input.output !== "json" && !embedded;
  const model = createModelClient(launch.modelId, launch.modelConfig ? { config: launch.modelConfig } : {});
  assertCostBudgetPriced(model, config.budgets);
  const systemPrompt = loadSystemPrompt(launch.systemPrompt);
  if (plain) {
    const isolation = launch.backend === "process" ? "process — NO ISOLATION" : "local (isolated)";
    console.log(
      `model: ${model.info.label}${model.info.isScripted ? "" : ` (${model.info.id})`} · sandbox: ${isolation}`,
    );
  }
  const policy = {
    backend: launch.backend,
    allowNet: launch.allowNet,
    ...(launch.allowHostPorts ? { allowHostPorts: launch.allowHostPorts } : {}),
    ...(launch.env ? { env: launch.env } : {}),
    ...(launch.limits ? { limits: launch.limits } : {}),
  };
  // The working sandbox is made after the baseline, which runs in clean rooms of its own.
  let working: Awaited<ReturnType<typeof createSandbox>> | undefined;
  const witness = createWitnessedVerifier(
    (patch, previous) =>
      verifyCandidate({
        spec,
        workspace: config.workspace,
        patch,
        sandboxPolicy: { ...policy, quiet: true },
        ...(working ? { working } : {}),
        ...(previous ? { previous } : {}),
      }),
    launch.witness ?? {},
  );
  if (!input.resume) {
    if (plain) console.log("baseline: running the verifier on your tree as it is…");
    refuseGreenBaseline((await witness.baseline()).result, spec, launch.witness);
  }
  const sandbox = await createSandbox({ ...policy, workspace: config.workspace });
  working = sandbox;
  let lastVerdict: VerifyResult | undefined;
  const store = new RunStore(input.runsDir);
  const log = input.resume ? store.reopen(input.runId) : store.create(input.runId);
  if (!input.resume) store.index({ id: input.runId, at: Date.now(), task: config.task, status: "started" });
  const renderer = embedded
    ? { onEvent: embedded.onEvent, close: () => {} }
    : createProgressRenderer(input.output, config.budgets.maxSteps);
  const abort = new AbortController();
  const onSignal = () => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
    process.stderr.write("\nclosedloop: stopping after the current step (again to quit now)\n");
  };
  if (embedded) {
    if (embedded.signal.aborted) abort.abort();
    embedded.signal.addEventListener("abort", () => abort.abort(), { once: true });
  } else {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }

  let result: LoopResult;
  try {
    result = await runLoop({
      runId: input.runId,
      config,
      model,
      tools: createToolset(),
      env: {
        sandbox,
        verify: async (patch, previous, reason) => {
          const result =
            reason === "baseline" ? (await witness.baseline()).result : await witness.verify(patch, previous);
          lastVerdict = result;
          return result;
        },
      },
      systemPrompt,
      log: { append: (event: LoopEvent) => log.append(event), sync: () => log.sync() },
      onEvent: (event) => renderer.onEvent(event),
      signal: abort.signal,
      ...(input.resume ? { resume: input.resume } : {}),
    });
  } finally {
    renderer.close();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    log.close();
    await closeBrowser(sandbox).catch(() => {});
    await stopServers(sandbox).catch(() => {});
    await sandbox.dispose();
  }

  const patchPath = store.writeResult(input.runId, "patch.diff", result.patch);
  const report: Record<string, unknown> = {
    runId: input.runId,
    verdict: result.verified ? "verified" : "not verified",
    outcome: result.outcome,
    reason: result.reason,
    task: config.task,
    model: config.model,
    steps: result.steps,
    tokens: {
      input: result.totals.inputTokens,
      output: result.totals.outputTokens,
      cacheRead: result.totals.cacheReadTokens ?? 0,
      cacheWrite: result.totals.cacheWriteTokens ?? 0,
    },
    costUsd: result.totals.costUsd,
    // What the same tokens would have cost with no prompt cache: the saving is the difference.
    costWithoutCacheUsd: estimateUncachedCostUsd(model.info, {
      inputTokens: result.totals.inputTokens,
      outputTokens: result.totals.outputTokens,
    }),
    timeMs: result.totals.elapsedMs,
    failures: { before: result.failuresBefore, after: result.failuresAfter },
    // The witness of the last clean-room verdict: each test's status at baseline and now.
    failToPass: lastVerdict?.witness?.failToPass ?? [],
    passToPass: lastVerdict?.witness?.passToPass ?? [],
    ...(lastVerdict?.witness?.flaky.length ? { flaky: lastVerdict.witness.flaky } : {}),
    ...(lastVerdict?.witness?.problems.length ? { witnessProblems: lastVerdict.witness.problems } : {}),
    ...(lastVerdict?.progress ? { progress: lastVerdict.progress } : {}),
    // Code under test that rewrote the test machinery: where, and what it touched.
    ...(lastVerdict?.tampering?.length ? { tampering: lastVerdict.tampering } : {}),
    patch: patchPath,
  };
  let hostNote: string | undefined;
  let hostFailed = false;
  const { apply, branch } = launch;
  if ((apply || branch) && !result.verified)
    hostNote = "the host tree was not touched: only a verified patch is applied";
  else if (apply || branch) {
    try {
      if (apply) {
        const files = applyPatchToHost(config.workspace, result.patch);
        report.applied = files;
        hostNote = `applied to ${config.workspace}: ${files.join(", ") || "(empty patch)"}`;
      } else if (branch) {
        const made = commitPatchToBranch(
          config.workspace,
          result.patch,
          branch,
          `closedloop: ${config.task}`,
        );
        report.branch = { name: branch, commit: made.commit, author: made.author };
        hostNote = describeBranchCommit(branch, made);
      }
    } catch (error) {
      if (!UserError.isInstance(error)) throw error;
      hostFailed = true;
      report.hostError = error.message;
      hostNote = `verified, but ${apply ? "--apply" : "--branch"} failed: ${error.message}`;
    }
  }
  const reportPath = store.writeResult(input.runId, "report.json", `${JSON.stringify(report, null, 2)}\n`);
  store.index({ id: input.runId, at: Date.now(), status: "finished", outcome: result.outcome });

  input.afterRun?.(result);
  if (plain) {
    console.log(result.verified ? `\n✓ verified — ${result.reason}` : `\n✗ not verified — ${result.reason}`);
    if (hostNote) console.log(hostNote);
    // Runs recorded elsewhere than the default folder are found again only with --runs-dir.
    const where =
      resolve(input.runsDir) === resolve(".closedloop/runs") ? "" : ` --runs-dir ${input.runsDir}`;
    console.log(
      `patch:  ${patchPath}\nreport: ${reportPath}\ntimeline: closedloop show${where} ${input.runId}`,
    );
    if (result.outcome === "interrupted") console.log(`continue: closedloop resume${where} ${input.runId}`);
  } else if (hostNote && !embedded) process.stderr.write(`${hostNote}\n`);
  if (hostFailed) return 2;
  return result.verified ? 0 : 1;
}

/**
 * A verifier that passes on the untouched tree cannot tell a fix from no change: the run would
 * be "verified" by any patch. Refused before any model call unless the user said what must
 * change (--fail-to-pass) or gave a check the model cannot see (--hidden).
 */
function refuseGreenBaseline(baseline: VerifyResult, spec: VerifierSpec, options?: WitnessOptions): void {
  if (baseline.verdict !== "pass") return;
  if ((options?.failToPass?.length ?? 0) > 0 || spec.hidden.length > 0) return;
  throw new UserError(
    `the verifier already passes on your tree (${spec.commands.join(" && ") || "no commands"}), so it cannot tell a fix from no change. ` +
      "Name the tests that must go from failing to passing with --fail-to-pass NAME (or failToPass in closedloop.config.json), " +
      "add a test that fails now, or add a check the model never sees with --hidden CMD.",
  );
}
