// One model call of a step, with its budget checks before the call and before every retry,
// and the rule that turns a failed call into a RunStop. Kept out of the step loop so the
// loop reads in one sitting.
import type { BilledAttempt, ModelResponse } from "../model/index.ts";
import { estimateTokens } from "../signals/index.ts";
import type { ConversationContext } from "./conversation-context.ts";
import type { LoopEventInput } from "./loop-events.ts";
import type { LoopOptions } from "./loop-options.ts";
import type { BudgetBreach, RunBudget } from "./run-budget.ts";
import { interruptedReason, RunStop } from "./run-stop.ts";

/** What askModel needs of the loop that calls it. */
export interface AskModelHost {
  options: LoopOptions;
  context: ConversationContext;
  budget: RunBudget;
  maxOutputTokens: number;
  emit(input: LoopEventInput): void;
  /** Reports the breach and throws the RunStop that ends the run. */
  exhausted(breach: BudgetBreach): never;
}

/** A failed attempt's bill as event fields (nothing when the provider could not have billed it). */
function billedFields(billed: BilledAttempt | undefined) {
  return billed ? { usage: billed.usage, costUsd: billed.costUsd, usageEstimated: billed.estimated } : {};
}

/** The run's own signal, an extra one and the time budget's deadline, as one signal. */
export function callSignal(
  budget: RunBudget,
  runSignal: AbortSignal | undefined,
  extra?: AbortSignal,
): AbortSignal | undefined {
  const remaining = budget.remainingMs();
  const signals = [
    runSignal,
    extra,
    remaining === undefined ? undefined : AbortSignal.timeout(Math.max(1, Math.ceil(remaining))),
  ];
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  return present.length === 0 ? undefined : present.length === 1 ? present[0] : AbortSignal.any(present);
}

export async function askModel(host: AskModelHost, step: number): Promise<ModelResponse> {
  const { options: o, context, budget, maxOutputTokens } = host;
  const compaction = context.planCompaction();
  if (compaction) host.emit({ type: "context.compacted", step, ...compaction });
  const rendered = context.render();
  const tools = o.tools.map((tool) => tool.definition);
  const inputTokens = rendered.estimatedTokens + estimateTokens(JSON.stringify(tools));
  const prices = o.model.info;
  const breach = budget.checkBeforeCall(inputTokens, maxOutputTokens, prices);
  if (breach) host.exhausted(breach);
  host.emit({
    type: "model.request",
    step,
    messages: rendered.messages.length,
    estimatedTokens: inputTokens,
    elidedSteps: rendered.elidedSteps,
    stableMessages: rendered.stableMessages,
  });
  const request = {
    messages: rendered.messages,
    tools,
    maxOutputTokens,
    cache: { key: `closedloop-${o.runId}`, stableMessages: rendered.stableMessages },
  };
  // A retry is another request: it may be billed, and it is made only if its worst case fits.
  const budgetStop = new AbortController();
  let lateBreach: BudgetBreach | undefined;
  const signal = callSignal(budget, o.signal, budgetStop.signal);
  const result = await o.model.step({ ...request, signal }, (event) => {
    if (event.type !== "retry") return;
    const { attempt, delayMs, reason, billed } = event;
    host.emit({ type: "model.retry", step, attempt, delayMs, reason, ...billedFields(billed) });
    if (billed) budget.addFailedAttempt(billed.usage, billed.costUsd);
    lateBreach ??= budget.checkBeforeCall(inputTokens, maxOutputTokens, prices);
    if (lateBreach) budgetStop.abort();
  });
  if (!result.ok) {
    const { kind, message, billed } = result.error;
    host.emit({ type: "model.error", step, kind, message, ...billedFields(billed) });
    if (billed) budget.addFailedAttempt(billed.usage, billed.costUsd);
    if (lateBreach) host.exhausted(lateBreach);
    if (o.signal?.aborted) throw new RunStop("interrupted", interruptedReason);
    const late = budget.checkBeforeStep(step);
    if (late?.budget === "time") host.exhausted(late);
    // Only the scripted test double runs out of turns; a provider that used up its retries
    // also says "exhausted", and that is a model error, not the end of a script.
    if (kind === "exhausted" && o.model.info.isScripted)
      throw new RunStop("out-of-turns", `out of turns: ${message}`);
    throw new RunStop("model-error", `model error (${kind}): ${message}`);
  }
  const response = result.response;
  budget.addCall(response.usage, response.costUsd);
  host.emit({ type: "model.response", step, ...response });
  return response;
}
