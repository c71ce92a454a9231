// Public face of the verify module: verifier specs, protected paths, and the clean-room
// verdict that decides when a run is done.
export { deriveProtectedFiles, deriveProtection } from "./derive-protected-files.ts";
export { formatVerifyText } from "./format-verify-text.ts";
export { isProtectedPath, matchGlob } from "./match-glob.ts";
export {
  type BrowserCheckFlag,
  browserCheckLabel,
  parseBrowserCheckFlag,
  parseBrowserCheckFlags,
  parseBrowserChecks,
} from "./parse-browser-checks.ts";
export {
  InvalidVerifierSpecError,
  parseVerifierSpec,
  type VerifierSpecInput,
} from "./parse-verifier-spec.ts";
export {
  compareProgress,
  formatProgress,
  type Progress,
  type ProgressStatus,
  progressOf,
  scoreProgress,
} from "./progress.ts";
export {
  describeProtectedChange,
  filterProtectedPatch,
  isProtectedBy,
  type Protection,
} from "./protection.ts";
export { ranNoTests } from "./ran-no-tests.ts";
export {
  describeTampering,
  scanPatchForTampering,
  type TamperFinding,
} from "./tamper-scan.ts";
export { type CommandCensus, censusOf, type TestCensus, type TestStatus } from "./test-census.ts";
export type * from "./types.ts";
export { type VerifyCandidateInput, verifyCandidate } from "./verify-candidate.ts";
export { judgeWitness, type TestStatusChange, type WitnessJudgement } from "./witness.ts";
export {
  type Baseline,
  createWitnessedVerifier,
  defaultConfirmRuns,
  type RunVerifier,
  type WitnessedVerifier,
  type WitnessOptions,
} from "./witnessed-verifier.ts";
