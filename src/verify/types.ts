// A verifier spec and what it says. The verdict that ends a run is always decided in a
// fresh sandbox built from the user's tree plus the candidate patch (the clean room).
import type { CompactFeedback, Finding } from "../signals/index.ts";

export type Verdict = "pass" | "fail" | "error";

export interface VerifierSpec {
  /** Shell commands; all must exit 0. */
  commands: string[];
  /** Globs (relative to the workspace) the model may read but whose changes never count. */
  protect: string[];
  /** Commands the model never sees; run only in the clean room. */
  hidden: string[];
  timeoutMs?: number;
}

export interface CommandVerdict {
  command: string;
  hidden: boolean;
  exitCode: number | null;
  durationMs: number;
  feedback: CompactFeedback;
}

export interface VerifyResult {
  verdict: Verdict;
  /** True when decided in a fresh sandbox from the patch, false for an in-place check. */
  cleanRoom: boolean;
  commands: CommandVerdict[];
  findings: Finding[];
  failingCount: number;
  fingerprint: string;
  /** What the model is shown (hidden checks appear only as "a hidden check failed"). */
  text: string;
  /** Protected paths the patch tried to change, which were restored. */
  restoredProtected: string[];
}
