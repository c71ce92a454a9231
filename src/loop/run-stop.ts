// The one way a run ends: a RunStop thrown from anywhere in a step, caught once in run().
// It lives apart from the engine so the model-asking code can end the run the same way.
import type { RunOutcome } from "./loop-events.ts";

export const interruptedReason = "interrupted: the run was stopped by a signal";
export const verifiedReason = "the verifier passed in a clean sandbox built from the patch";

export class RunStop extends Error {
  constructor(
    readonly outcome: RunOutcome,
    readonly reason: string,
  ) {
    super(reason);
  }
}
