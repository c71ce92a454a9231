// The MCP `run` tool's engine: the same session `closedloop run` uses (model, working sandbox,
// clean-room verifier, event log, patch.diff and report.json in the store), driven silently
// with events and cancellation from the MCP request. Lives in cli/ because it builds the
// model and the toolset, which the MCP module may not import.
import type { RunLauncher } from "../mcp/index.ts";
import { resolveModelId } from "../model/index.ts";
import type { BackendName } from "../sandbox/index.ts";
import { RunStore } from "../store/index.ts";
import { UserError } from "../util/index.ts";
import { parseVerifierSpec } from "../verify/index.ts";
import { loadFileConfig } from "./file-config.ts";
import { runConfigKeys } from "./run-options.ts";
import { absoluteModelId, buildRunConfig, type LaunchSpec, runSession } from "./run-session.ts";

export function createRunLauncher(options: {
  backend: BackendName;
  defaultModel?: string | undefined;
}): RunLauncher {
  return async (request, hooks) => {
    const config = loadFileConfig(request.workspace, runConfigKeys);
    const configModel = typeof config.model === "string" ? config.model : undefined;
    const configSteps = typeof config.maxSteps === "number" ? config.maxSteps : undefined;
    const spec = parseVerifierSpec({ verify: request.verify, protect: request.protect });
    const modelId = absoluteModelId(
      resolveModelId({ flag: request.model ?? options.defaultModel, config: { model: configModel } }),
    );
    const runId = RunStore.createRunId();
    const launch: LaunchSpec = { modelId, backend: options.backend, allowNet: [], spec };
    const budgets = {
      maxSteps: request.maxSteps ?? configSteps ?? 30,
      ...(request.maxCostUsd !== undefined ? { maxCostUsd: request.maxCostUsd } : {}),
    };
    hooks.onRunId(runId);
    let patch = "";
    let outcome = { verified: false, outcome: "interrupted", reason: "the run did not finish" };
    await runSession({
      runId,
      config: buildRunConfig(request.task, request.workspace, launch, budgets),
      launch,
      output: "json",
      runsDir: hooks.runsDir,
      embedded: { onEvent: hooks.onEvent, signal: hooks.signal },
      afterRun(result) {
        patch = result.patch;
        outcome = { verified: result.verified, outcome: result.outcome, reason: result.reason };
      },
    });
    const reportText = new RunStore(hooks.runsDir).readResult(runId, "report.json");
    if (!reportText) throw new UserError(`run ${runId} wrote no report`);
    return { runId, ...outcome, patch, report: JSON.parse(reportText) as Record<string, unknown> };
  };
}
