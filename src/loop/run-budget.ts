// The four budgets of a run. Cost is a hard cap: before each model call the worst case
// (every input token plus the full output allowance, at the model's prices) is added to what
// was spent, and the call is not made when that could pass the cap.
import { performance } from "node:perf_hooks";
import type { BudgetName, Budgets, Totals } from "./loop-events.ts";

export interface BudgetBreach {
  budget: BudgetName;
  limit: number;
  used: number;
}

export interface ModelPrices {
  inputPricePerMTok: number;
  outputPricePerMTok: number;
}

export class RunBudget {
  private readonly base: Totals;
  private readonly startedAt = performance.now();

  constructor(
    readonly limits: Budgets,
    previous?: Totals,
  ) {
    this.base = previous
      ? { ...previous }
      : { inputTokens: 0, outputTokens: 0, costUsd: 0, elapsedMs: 0, modelCalls: 0 };
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

  addCall(inputTokens: number, outputTokens: number, costUsd: number): void {
    this.base.inputTokens += inputTokens;
    this.base.outputTokens += outputTokens;
    this.base.costUsd += costUsd;
    this.base.modelCalls += 1;
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

  /** Checked right before a model call with the request's size: could it pass a cap? */
  checkBeforeCall(
    inputTokens: number,
    maxOutputTokens: number,
    prices: ModelPrices,
  ): BudgetBreach | undefined {
    const { maxTokens, maxCostUsd } = this.limits;
    const tokens = this.base.inputTokens + this.base.outputTokens;
    if (maxTokens !== undefined && tokens + inputTokens + maxOutputTokens > maxTokens)
      return { budget: "tokens", limit: maxTokens, used: tokens };
    if (maxCostUsd !== undefined) {
      const worst =
        (inputTokens * prices.inputPricePerMTok + maxOutputTokens * prices.outputPricePerMTok) / 1_000_000;
      if (this.base.costUsd + worst > maxCostUsd)
        return { budget: "cost", limit: maxCostUsd, used: this.base.costUsd };
    }
    return undefined;
  }
}
