// A verifier spec and what it says. The verdict that ends a run is always decided in a
// fresh sandbox built from the user's tree plus the candidate patch (the clean room).
import type { LimitHit } from "../sandbox/index.ts";
import type { CompactFeedback, Finding } from "../signals/index.ts";
import type { Progress } from "./progress.ts";
import type { TamperFinding } from "./tamper-scan.ts";
import type { WitnessJudgement } from "./witness.ts";

export type Verdict = "pass" | "fail" | "error";

export interface VerifierSpec {
  /** Shell commands; all must exit 0. */
  commands: string[];
  /** Globs (relative to the workspace) the model may read but whose changes never count. */
  protect: string[];
  /**
   * Protected paths the user lets the model change (--allow-edit): everything that decides how
   * the verifier runs is protected otherwise, derived from the project (see derive-protected-files.ts).
   */
  allowEdit?: string[];
  /** Commands the model never sees; run only in the clean room. */
  hidden: string[];
  timeoutMs?: number;
  /** Pages that must load in a real browser with no console error (run after the commands). */
  browserChecks?: BrowserCheckSpec[];
}

/** "This page loads with no console error and shows this text", served from the clean room. */
export interface BrowserCheckSpec {
  /** Command that starts the app inside the sandbox and keeps running, e.g. `node server.js`. */
  serve: string;
  /** Port the app listens on inside the sandbox. */
  port: number;
  /** URL path to open (with any query); default "/". */
  path?: string;
  /** Text the page must show (visible text, title or a heading). */
  expectText?: string;
}

/** How a browser check ended, beside its CommandVerdict. */
export interface BrowserCheckDetail {
  /** The page as the sandbox names it: http://localhost:PORT/path. */
  url: string;
  serve: string;
  expectText?: string;
  /** How far it got: the server exited, never listened, or the page was opened. */
  stage: "server-exited" | "server-silent" | "page-opened";
  /** One line for the verdict: `loaded, shows "Hello"` or the first problem. */
  summary: string;
}

export interface CommandVerdict {
  command: string;
  hidden: boolean;
  exitCode: number | null;
  durationMs: number;
  feedback: CompactFeedback;
  /** True when the command counts as passed (exit 0, in time, and it ran tests if it is a test runner). */
  passed: boolean;
  signal: string | null;
  timedOut: boolean;
  /** Exit 0 from a test runner that ran no tests: a failure, since it proves nothing. */
  ranNoTests: boolean;
  /** The sandbox limits the command ran into (memory, processes, disk, timeout), with their values. */
  limitsHit?: LimitHit[];
  /**
   * Set when this entry is a browser check, not a shell command; its exitCode is then 0 or 1
   * (pass or fail) so every report can treat it like a command.
   */
  browser?: BrowserCheckDetail;
}

export interface VerifyResult {
  verdict: Verdict;
  /** True when decided in a fresh sandbox from the patch, false for an in-place check. */
  cleanRoom: boolean;
  /** Every command, hidden ones included (for reports; never show hidden ones to the model). */
  commands: CommandVerdict[];
  /** Findings of the failing non-hidden commands (safe to show to the model). */
  findings: Finding[];
  failingCount: number;
  fingerprint: string;
  /** What the model is shown (hidden checks appear only as "a hidden check failed"). */
  text: string;
  /** Protected paths the patch tried to change, which were restored. */
  restoredProtected: string[];
  /**
   * The verdict of the (non-hidden) commands in the working sandbox, when one was given and
   * the clean room failed; "pass" here with "fail" above means the fix depends on state
   * outside the patch.
   */
  workingVerdict?: Verdict;
  /** Why the verifier could not run, when the verdict is "error". */
  error?: string;
  /**
   * Lines the patch adds to code under test that reach into the test machinery or the process's
   * verdict channel (tamper-scan.ts); any of them makes the verdict "fail".
   */
  tampering?: TamperFinding[];
  /** Workspace-relative paths the applied (filtered) patch changed. */
  changedPaths?: string[];
  durationMs?: number;
  /** The baseline witness's judgement (fail-to-pass, pass-to-pass, problems, flaky tests). */
  witness?: WitnessJudgement;
  /** Where this run stands, for ranking checkpoints and spotting stalls. */
  progress?: Progress;
}
