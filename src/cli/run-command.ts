// `closedloop run "<task>" --verify "<cmd>" …`: the loop on the user's own project.

import { resolveModelId } from "../model/index.ts";
import { checkBranchTarget } from "../patch/index.ts";
import { RunStore } from "../store/index.ts";
import { parseVerifierSpec } from "../verify/index.ts";
import { parseRunOptions, runUsage } from "./run-options.ts";
import {
  absoluteModelId,
  buildRunConfig,
  type LaunchSpec,
  runSession,
  sealHiddenChecks,
} from "./run-session.ts";

export async function run(argv: string[]): Promise<number> {
  const options = parseRunOptions(argv);
  if (options === "help") {
    console.log(runUsage);
    return 0;
  }
  // Before any model call: a run must not end verified with nowhere to put its result.
  if (options.branch) checkBranchTarget(options.workspace, options.branch);
  if (options.attempts > 1) return (await import("./run-attempts.ts")).runAttempts(options);
  const spec = parseVerifierSpec({
    verify: options.verify,
    protect: options.protect,
    allowEdit: options.allowEdit,
    hidden: options.hidden,
    browserChecks: options.browserChecks,
    ...(options.verifyTimeoutMs !== undefined ? { timeoutMs: options.verifyTimeoutMs } : {}),
  });
  const modelId = absoluteModelId(resolveModelId({ flag: options.model }));
  const runId = RunStore.createRunId();
  const fullLaunch: LaunchSpec = {
    modelId,
    backend: options.sandbox,
    allowNet: options.allowNet,
    ...(options.allowHostPorts.length > 0 ? { allowHostPorts: options.allowHostPorts } : {}),
    ...(options.env.length > 0 ? { env: options.env } : {}),
    ...(Object.keys(options.limits).length > 0 ? { limits: options.limits } : {}),
    spec,
    ...(options.modelConfig ? { modelConfig: options.modelConfig } : {}),
    ...(options.systemPrompt ? { systemPrompt: options.systemPrompt } : {}),
    ...(options.apply ? { apply: true } : {}),
    ...(options.branch ? { branch: options.branch } : {}),
  };
  const budgets = {
    maxSteps: options.maxSteps,
    ...(options.maxCostUsd !== undefined ? { maxCostUsd: options.maxCostUsd } : {}),
    ...(options.maxTimeMs !== undefined ? { maxTimeMs: options.maxTimeMs } : {}),
    ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
  };
  const launch = sealHiddenChecks(runId, fullLaunch);
  return runSession({
    runId,
    config: buildRunConfig(options.task, options.workspace, launch, budgets),
    launch,
    output: options.output,
    runsDir: options.runsDir,
  });
}
