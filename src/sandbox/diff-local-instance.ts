// The local sandbox's diff: what its writable layer changed, exported from inside by
// cl-export, staged on the host and compared with the workspace as a git patch.
import { mkdtemp, rm } from "node:fs/promises";
import { SandboxDiffError } from "./errors.ts";
import { dropGitIgnored } from "./git-ignored.ts";
import { insideBin, insideUpper } from "./launcher-args.ts";
import type { LocalInstance } from "./local-instance.ts";
import { type ExportRunner, exportEntries, listChanges } from "./overlay-changes.ts";
import { ownedTempPrefix, sweepStaleTempDirs } from "./stale-temp-dirs.ts";
import { diffTrees } from "./workspace-diff.ts";

/** The largest file the sandbox hands over, read or diffed. */
export const maxFileBytes = 64 * 1024 ** 2;
/** A diff lists, stages and compares at most this many paths (git-ignored ones not counted)… */
const maxDiffPaths = 10_000;
/** …and gives up after this long, whatever the sandbox left behind. */
const diffTimeoutMs = 60_000;

/** The patch from `ws` to the instance's merged tree, with notes on the files left out. */
export async function diffLocalInstance(
  instance: LocalInstance,
  ws: string,
  diskBytes: number,
): Promise<string> {
  const deadline = Date.now() + diffTimeoutMs;
  const limits = { maxPaths: maxDiffPaths, maxFileBytes, budgetBytes: diskBytes };
  // The changes are read inside the sandbox, as its uid, by cl-export (overlay-changes.ts):
  // no path of the sandbox's tree is ever opened by this process, frozen or not.
  const run: ExportRunner = async (args, stdin, onStdout) => {
    const proc = instance.channel.spawn({
      argv: [`${insideBin}/cl-export`, ...args],
      env: {},
      cwd: "/",
      outputCap: diskBytes + 256 * 1024 ** 2,
      onStdout,
    });
    if (stdin) proc.writeStdin(stdin);
    proc.endStdin();
    const timer = setTimeout(() => proc.kill("SIGKILL"), Math.max(0, deadline - Date.now()));
    try {
      return await proc.exited;
    } finally {
      clearTimeout(timer);
    }
  };
  // Names are cheap: list up to 10× the cap, so gitignored trees (node_modules) still diff.
  const listed = await listChanges(run, insideUpper, ws, ws, { ...limits, maxPaths: maxDiffPaths * 10 });
  const wanted = await dropGitIgnored(ws, listed);
  if (wanted.length > maxDiffPaths)
    throw new SandboxDiffError(
      `the sandbox changed ${wanted.length} paths that git does not ignore (more than ${maxDiffPaths}); a patch that large is refused — remove generated files or add them to .gitignore`,
    );
  if (wanted.length === 0) return "";
  sweepStaleTempDirs("diff");
  const stage = await mkdtemp(ownedTempPrefix("diff"));
  try {
    const { leftOut } = await exportEntries(run, ws, wanted, stage, limits);
    const skipped = new Set(leftOut.map((t) => t.path));
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new SandboxDiffError(`the diff took longer than ${diffTimeoutMs / 1000} s`);
    const patch = await diffTrees({
      before: ws,
      after: stage,
      paths: wanted,
      exclude: (rel) => skipped.has(rel),
      afterIsScratch: true,
      timeoutMs: remaining,
    });
    // git apply ignores text before the first "diff --git", so the notes travel with the patch.
    const budget = `${Math.round(diskBytes / 1024 ** 2)} MiB`;
    const why = {
      "too-large": `files over ${maxFileBytes / 1024 ** 2} MiB are not put in a patch`,
      "over-budget": `the files staged for the patch would exceed the sandbox's disk budget of ${budget}`,
      unreadable: "the sandbox itself cannot read it",
      changed: "it changed while it was read",
    };
    const notes = leftOut.map(
      (t) =>
        `# closedloop: ${t.path}${t.bytes === undefined ? "" : ` (${Math.round(t.bytes / 1024 ** 2)} MiB)`} is left out: ${why[t.reason]}\n`,
    );
    return notes.join("") + patch;
  } finally {
    await rm(stage, { recursive: true, force: true });
  }
}
