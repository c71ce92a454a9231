// What the loop itself says to the model (beside the system prompt in prompts/system.md) and
// to the user when a run stops. Kept in one place so the wording can be read and tuned alone.
import type { ToolResult } from "../tools/index.ts";
import type { VerifyResult } from "../verify/index.ts";
import type { BudgetBreach } from "./run-budget.ts";
import type { StallSignal } from "./stall-detector.ts";

export const noToolCallNote =
  "You did not call a tool. Keep working with the tools; call `verify` to check your work and `done` when the verifier passes.";

export function stallNudge(signal: StallSignal): string {
  return `The loop looks stalled (${signal.detail}). Step back: re-read the latest failures, question your assumption, and try a different approach instead of repeating the last action.`;
}

export function rollbackNote(signal: StallSignal, best: string): string {
  return `The loop was stalled (${signal.detail}), so the workspace was rolled back to the best checkpoint (${best}). Take a different approach from there.`;
}

export function verifierObservation(verdict: VerifyResult): ToolResult {
  const status =
    verdict.verdict === "pass"
      ? "PASS"
      : `${verdict.verdict.toUpperCase()} (${verdict.failingCount} failing)`;
  return {
    content: `Verifier (clean room): ${status}\n\n${verdict.text}`,
    isError: verdict.verdict !== "pass",
  };
}

export function doneAnswer(verdict: VerifyResult): ToolResult {
  if (verdict.verdict === "pass")
    return {
      content: "Verified: every check passes in a clean sandbox. The run is complete.",
      isError: false,
    };
  return {
    content: `Refused: you called done, but the verifier is still red in a clean sandbox built from your changes. Fix these failures, then call done again.\n\n${verdict.text}`,
    isError: true,
  };
}

export function describeBreach(breach: BudgetBreach): string {
  const flag = { steps: "max-steps", tokens: "max-tokens", cost: "max-cost", time: "max-time" }[
    breach.budget
  ];
  const used =
    breach.budget === "cost"
      ? `$${breach.used.toFixed(4)}`
      : breach.budget === "time"
        ? `${Math.round(breach.used / 1000)}s`
        : String(Math.round(breach.used));
  return `budget: ${flag} ${breach.limit} reached (used ${used})`;
}
