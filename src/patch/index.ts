// Public face of the patch module: the one place that parses, filters, applies and hashes
// git-style unified diffs (checkpoints, the clean room, --apply, --branch, `closedloop apply`).
export { applyPatchIn, type PatchTarget } from "./apply-patch.ts";
export { type FilteredPatch, filterPatch } from "./filter-patch.ts";
export {
  applyPatchToHost,
  type BranchCommit,
  checkBranchTarget,
  checkPatchPaths,
  commitPatchToBranch,
  describeBranchCommit,
  UnsafePatchError,
} from "./host-patch.ts";
export {
  hashPatch,
  type PatchFile,
  PatchFormatError,
  parsePatchFiles,
  patchFiles,
  patchPaths,
  unquote,
} from "./parse-patch.ts";
