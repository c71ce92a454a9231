// Applying a patch inside a sandbox (the clean room, a checkpoint being restored): `git apply`
// runs in there, under the sandbox's own rules, so a hostile patch can do no more than the
// sandbox allows. Described structurally so this module needs no sandbox import.

/** The part of a sandbox that applying a patch needs. */
export interface PatchTarget {
  exec(
    command: string,
    options: { cwd?: string; stdin?: string; timeoutMs?: number; env?: Record<string, string> },
  ): Promise<{ exitCode: number | null; signal?: string | null; stdout: string; stderr: string }>;
}

/** Undefined when the patch applied (or was empty); otherwise git's explanation. */
export async function applyPatchIn(
  target: PatchTarget,
  cwd: string,
  patch: string,
): Promise<string | undefined> {
  if (patch.trim() === "" || !patch.includes("diff --git ")) return undefined;
  // Outside a repository git applies paths relative to the current directory. Inside one (a
  // workspace below the top of a repo) it would silently skip paths outside the current
  // directory, so discovery stops at the workspace's parent — computed in the shell, since a
  // backend may hold the files elsewhere than the host path. The ownership check is off: under
  // a user namespace the tree belongs to another uid.
  const command = 'GIT_CEILING_DIRECTORIES="$(dirname "$PWD")" git apply --whitespace=nowarn -';
  const result = await target.exec(command, {
    cwd,
    stdin: patch,
    timeoutMs: 120_000,
    env: { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "safe.directory", GIT_CONFIG_VALUE_0: "*" },
  });
  if (result.exitCode === 0) return undefined;
  return (
    (result.stderr || result.stdout).trim() || `git apply exited with ${result.exitCode ?? result.signal}`
  );
}
