// `closedloop run … --attempts N`: best-of-n on the user's own project. The attempts run side by
// side in this process, each a full run in its own sandbox (run ids <group>.a1 … <group>.aN);
// the verifier picks. The report lists every attempt; only the picked one, and only if
// verified, goes to the host with --apply / --branch.
import { join } from "node:path";
import {
  type AttemptJob,
  type AttemptResult,
  attemptRunId,
  createInProcessQueue,
  runTaskAttempts,
} from "../fleet/index.ts";
import { applyPatchToHost, commitPatchToBranch, describeBranchCommit } from "../patch/index.ts";
import { RunStore, writeFileAtomic } from "../store/index.ts";
import { UserError } from "../util/index.ts";
import { ignoreClosedStdout } from "./progress-renderer.ts";
import type { RunOptions } from "./run-options.ts";
import { createSessionAttemptRunner } from "./session-attempt-runner.ts";

function attemptLine(r: AttemptResult, picked: boolean): string {
  const mark = r.verified ? "✓" : "✗";
  return `${picked ? "→" : " "} ${mark} attempt ${r.attempt}  ${r.model.padEnd(36)} ${r.outcome.padEnd(12)} ${String(r.steps).padStart(3)} steps  $${r.costUsd.toFixed(4)}  ${(r.timeMs / 1000).toFixed(1)}s  run ${r.runId}`;
}

export async function runAttempts(options: RunOptions): Promise<number> {
  ignoreClosedStdout();
  const group = RunStore.createRunId();
  const runsDir = options.runsDir;
  const outDir = join(runsDir, "best-of", group);
  const models = options.models.length > 0 ? options.models : [undefined];
  const jobs = Array.from({ length: options.attempts }, (_, i): AttemptJob => {
    const model = models[i % models.length];
    return {
      instanceId: group,
      attempt: i + 1,
      runId: attemptRunId(group, i + 1),
      outDir,
      runsDir,
      task: options.task,
      workspace: options.workspace,
      ...(model ? { model } : {}),
      verify: options.verify,
      protect: options.protect,
      ...(options.allowEdit.length > 0 ? { allowEdit: options.allowEdit } : {}),
      hidden: options.hidden,
      ...(options.browserChecks.length > 0 ? { browserChecks: options.browserChecks } : {}),
      ...(options.verifyTimeoutMs !== undefined ? { verifyTimeoutMs: options.verifyTimeoutMs } : {}),
      launchExtras: {
        ...(options.allowHostPorts.length > 0 ? { allowHostPorts: options.allowHostPorts } : {}),
        ...(options.env.length > 0 ? { env: options.env } : {}),
        ...(Object.keys(options.limits).length > 0 ? { limits: options.limits } : {}),
        ...(options.modelConfig ? { modelConfig: options.modelConfig } : {}),
      },
      budgets: {
        maxSteps: options.maxSteps,
        ...(options.maxCostUsd !== undefined ? { maxCostUsd: options.maxCostUsd } : {}),
        ...(options.maxTimeMs !== undefined ? { maxTimeMs: options.maxTimeMs } : {}),
        ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
      },
      sandbox: options.sandbox,
      allowNet: options.allowNet,
      ...(options.systemPrompt ? { systemPrompt: options.systemPrompt } : {}),
    };
  });
  const json = options.output === "json";
  const say = (text: string) => {
    if (!json) console.log(text);
  };
  say(
    `best-of-${options.attempts} (pick ${options.pick}) · sandbox: ${options.sandbox === "process" ? "process — NO ISOLATION" : "local (isolated)"} · runs ${jobs[0]!.runId} … ${jobs.at(-1)!.runId}`,
  );
  const queue = createInProcessQueue({ concurrency: options.attempts, runner: createSessionAttemptRunner() });
  let stopping = false;
  const onSignal = () => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(
      "\nclosedloop: stopping the attempts after their current step (again to quit now)\n",
    );
    void queue.close();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  let outcome: Awaited<ReturnType<typeof runTaskAttempts>>;
  try {
    outcome = await runTaskAttempts(queue, jobs, options.pick, (r) =>
      json
        ? console.log(JSON.stringify({ type: "attempt.finished", ...r, patch: undefined }))
        : say(attemptLine(r, false)),
    );
  } catch (error) {
    if (!stopping) throw error;
    say(
      `interrupted; continue each attempt with: ${jobs.map((j) => `closedloop resume ${j.runId}`).join(" · ")}`,
    );
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await queue.close();
  }
  const { picked, attempts } = outcome;
  const report: Record<string, unknown> = {
    group,
    task: options.task,
    pick: options.pick,
    verdict: picked.verified ? "verified" : "not verified",
    picked: picked.runId,
    patch: join(runsDir, picked.runId, "patch.diff"),
    attempts: attempts.map(({ patch, ...rest }) => ({ ...rest, patchBytes: Buffer.byteLength(patch) })),
  };
  let hostFailed = false;
  let branchNote: string | undefined;
  if ((options.apply || options.branch) && picked.verified) {
    try {
      if (options.apply) report.applied = applyPatchToHost(options.workspace, picked.patch);
      else if (options.branch) {
        const made = commitPatchToBranch(
          options.workspace,
          picked.patch,
          options.branch,
          `closedloop: ${options.task}`,
        );
        report.branch = { name: options.branch, commit: made.commit, author: made.author };
        branchNote = describeBranchCommit(options.branch, made);
      }
    } catch (error) {
      if (!UserError.isInstance(error)) throw error;
      hostFailed = true;
      report.hostError = error.message;
    }
  }
  const reportPath = join(outDir, "report.json");
  writeFileAtomic(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  if (json) console.log(JSON.stringify({ type: "best-of.finished", ...report }));
  else {
    console.log(`\nattempts (→ picked):`);
    for (const r of attempts) console.log(attemptLine(r, r === picked));
    console.log(
      picked.verified
        ? `\n✓ verified — attempt ${picked.attempt}: ${picked.reason}`
        : `\n✗ not verified — no attempt passed the verifier; best: attempt ${picked.attempt} (${picked.reason})`,
    );
    if (report.applied)
      console.log(`applied to ${options.workspace}: ${(report.applied as string[]).join(", ")}`);
    if (branchNote) console.log(branchNote);
    if (report.hostError)
      console.log(`verified, but ${options.apply ? "--apply" : "--branch"} failed: ${report.hostError}`);
    if ((options.apply || options.branch) && !picked.verified)
      console.log("the host tree was not touched: only a verified patch is applied");
    console.log(`patch:  ${report.patch}\nreport: ${reportPath}\ntimeline: closedloop show ${picked.runId}`);
  }
  if (hostFailed) return 2;
  return picked.verified ? 0 : 1;
}
