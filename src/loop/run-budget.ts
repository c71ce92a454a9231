// The four budgets of a run. Cost is a hard cap: before each model call (and before each retry
// of one) the worst case — the estimated input with the stated margin at the dearest input
// price, plus the full output allowance — is added to what was spent, and the call is not made
// when that could pass the cap. What was spent includes failed attempts the provider may have
// billed (its own counts when it sent them, estimates otherwise) and cache prices as billed.
import { performance } from "node:perf_hooks";
import { estimateWorstCaseCostUsd, inputEstimateMargin, type ModelInfo, type Usage } from "../model/index.ts";
import type { BudgetName, Budgets, Totals } from "./loop-events.ts";

export interface BudgetBreach {
  budget: BudgetName;
  limit: number;
  used: number;
}

export type ModelPrices = Pick<
  ModelInfo,
  "inputPricePerMTok" | "outputPricePerMTok" | "cacheReadPricePerMTok" | "cacheWritePricePerMTok"
>;

export function emptyTotals(): Totals {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0,
    elapsedMs: 0,
    modelCalls: 0,
  };
}

/** Totals plus one call's (or failed attempt's) usage and cost. */
export function addUsage(totals: Totals, usage: Usage, costUsd: number): Totals {
  return {
    ...totals,
    inputTokens: totals.inputTokens + usage.inputTokens,
    outputTokens: totals.outputTokens + usage.outputTokens,
    cacheReadTokens: (totals.cacheReadTokens ?? 0) + (usage.cacheReadTokens ?? 0),
    cacheWriteTokens: (totals.cacheWriteTokens ?? 0) + (usage.cacheWriteTokens ?? 0),
    costUsd: totals.costUsd + costUsd,
  };
}

export class RunBudget {
  private base: Totals;
  private readonly startedAt = performance.now();

  constructor(
    readonly limits: Budgets,
    previous?: Totals,
  ) {
    // Logs written before cache accounting have no cache counts: they start at zero.
    this.base = { ...emptyTotals(), ...previous };
  }

  get totals(): Totals {
    return { ...this.base, elapsedMs: Math.round(this.elapsedMs()) };
  }

  elapsedMs(): number {
    return this.base.elapsedMs + (performance.now() - this.startedAt);
  }

  /** Milliseconds left before the wall-time budget, or undefined without one. */
  remainingMs(): number | undefined {
    return this.limits.maxTimeMs === undefined
      ? undefined
      : Math.max(0, this.limits.maxTimeMs - this.elapsedMs());
  }

  /** A model call that answered. */
  addCall(usage: Usage, costUsd: number): void {
    this.base = addUsage(this.base, usage, costUsd);
    this.base.modelCalls += 1;
  }

  /** A failed attempt the provider may have billed: it counts against the budgets, not as a call. */
  addFailedAttempt(usage: Usage, costUsd: number): void {
    this.base = addUsage(this.base, usage, costUsd);
  }

  /** Checked before a step starts: may step number `step` run at all? */
  checkBeforeStep(step: number): BudgetBreach | undefined {
    const { maxSteps, maxTokens, maxTimeMs, maxCostUsd } = this.limits;
    if (step > maxSteps) return { budget: "steps", limit: maxSteps, used: step - 1 };
    const tokens = this.base.inputTokens + this.base.outputTokens;
    if (maxTokens !== undefined && tokens >= maxTokens)
      return { budget: "tokens", limit: maxTokens, used: tokens };
    if (maxCostUsd !== undefined && this.base.costUsd >= maxCostUsd)
      return { budget: "cost", limit: maxCostUsd, used: this.base.costUsd };
    const elapsed = this.elapsedMs();
    if (maxTimeMs !== undefined && elapsed >= maxTimeMs)
      return { budget: "time", limit: maxTimeMs, used: elapsed };
    return undefined;
  }

  /**
   * Checked right before a model request with its estimated input size: could its worst case
   * pass a cap? The token cap gets the same input margin as the cost cap.
   */
  checkBeforeCall(
    estimatedInputTokens: number,
    maxOutputTokens: number,
    prices: ModelPrices,
  ): BudgetBreach | undefined {
    const { maxTokens, maxCostUsd } = this.limits;
    const tokens = this.base.inputTokens + this.base.outputTokens;
    const worstInput = Math.ceil(estimatedInputTokens * (1 + inputEstimateMargin));
    if (maxTokens !== undefined && tokens + worstInput + maxOutputTokens > maxTokens)
      return { budget: "tokens", limit: maxTokens, used: tokens };
    if (maxCostUsd !== undefined) {
      const worst = estimateWorstCaseCostUsd(prices, estimatedInputTokens, maxOutputTokens);
      if (this.base.costUsd + worst > maxCostUsd)
        return { budget: "cost", limit: maxCostUsd, used: this.base.costUsd };
    }
    return undefined;
  }
}
