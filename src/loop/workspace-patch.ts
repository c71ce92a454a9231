// Moving a sandbox to a checkpoint: back to the baseline, then the checkpoint's patch applied
// with `git apply` inside the sandbox (so it runs under the sandbox's own rules).
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import type { ToolContext } from "../tools/index.ts";

/** The working sandbox as the loop sees it (the tools' view; the loop never picks a backend). */
export type WorkspaceSandbox = ToolContext["sandbox"];

export function hashPatch(patch: string): string {
  return createHash("sha256").update(patch).digest("hex").slice(0, 16);
}

/** Paths a unified diff touches (its `+++ b/…` and `--- a/…` lines). */
export function patchFiles(patch: string): string[] {
  const files = new Set<string>();
  for (const match of patch.matchAll(/^diff --git a\/(.+?) b\/(.+)$/gm)) files.add(match[2]!);
  return [...files];
}

export async function restoreCheckpoint(sandbox: WorkspaceSandbox, patch: string): Promise<void> {
  await sandbox.reset();
  if (patch.trim() === "") return;
  const workspace = sandbox.info.workspace;
  const result = await sandbox.exec("git apply --whitespace=nowarn -", {
    cwd: workspace,
    stdin: patch,
    // Stop git from finding a repository above the workspace, whose root would change how paths resolve.
    env: {
      GIT_CEILING_DIRECTORIES: dirname(workspace),
      // Under a user namespace the tree is owned by another uid; git would refuse it.
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "safe.directory",
      GIT_CONFIG_VALUE_0: "*",
    },
  });
  if (result.exitCode !== 0)
    throw new Error(`could not restore a checkpoint in the sandbox: git apply said ${result.stderr.trim()}`);
}
