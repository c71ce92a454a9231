// Moving a sandbox to a checkpoint: back to the baseline, then the checkpoint's patch applied
// inside the sandbox (so it runs under the sandbox's own rules).
import { applyPatchIn } from "../patch/index.ts";
import type { ToolContext } from "../tools/index.ts";

/** The working sandbox as the loop sees it (the tools' view; the loop never picks a backend). */
export type WorkspaceSandbox = ToolContext["sandbox"];

export async function restoreCheckpoint(sandbox: WorkspaceSandbox, patch: string): Promise<void> {
  await sandbox.reset();
  const failed = await applyPatchIn(sandbox, sandbox.info.workspace, patch);
  if (failed !== undefined)
    throw new Error(`could not restore a checkpoint in the sandbox: git apply said ${failed}`);
}
