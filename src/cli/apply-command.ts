// `closedloop apply <run-id>`: puts a finished run's patch on the host later — on the working
// tree, or with --branch on a new branch — only when its report says verified. It goes through
// the same applyPatchToHost / commitPatchToBranch as `run --apply` / `run --branch`.
import { resolve } from "node:path";
import { applyPatchToHost, commitPatchToBranch, describeBranchCommit } from "../patch/index.ts";
import { RunStore } from "../store/index.ts";
import { UserError } from "../util/index.ts";
import { type FlagTable, formatFlagHelp, parseFlagTable } from "./flag-table.ts";

const flags = {
  branch: {
    value: "NAME",
    help: "commit your working tree + the patch on a new branch NAME\n(your working tree and index are left as they are)",
  },
  workspace: { value: "DIR", help: "the project to apply to (default: the current directory)" },
  "runs-dir": { value: "DIR", help: "where the run lives (default: WORKSPACE/.closedloop/runs)" },
  help: { short: "h", help: "this text" },
} as const satisfies FlagTable;

interface Report {
  verdict?: string;
  reason?: string;
  task?: string;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlagTable(flags, argv, "apply", { positionals: true });
  if (values.help) {
    console.log(
      `usage: closedloop apply <run-id> [--branch NAME] [--workspace DIR] [--runs-dir DIR]\n\nApplies a verified run's patch.diff to the workspace (all files or none).\n\noptions:\n${formatFlagHelp(flags)}`,
    );
    return 0;
  }
  const [id, ...extra] = positionals;
  if (!id || extra.length > 0)
    throw new UserError(
      "give exactly one run id (see closedloop apply --help; 'closedloop show' lists runs)",
    );
  const workspace = resolve(values.workspace ?? ".");
  const store = new RunStore(values["runs-dir"] ?? resolve(workspace, ".closedloop/runs"));
  store.readEvents(id); // a clear "no run" error before anything else
  const reportText = store.readResult(id, "report.json");
  if (reportText === undefined)
    throw new UserError(
      `run ${id} has no report.json: it has not finished, so there is nothing verified to apply`,
    );
  let report: Report;
  try {
    report = JSON.parse(reportText) as Report;
  } catch {
    throw new UserError(`run ${id}'s report.json is not valid JSON; nothing was applied`);
  }
  if (report.verdict !== "verified")
    throw new UserError(
      `refusing to apply run ${id}: it was not verified (${report.reason ?? report.verdict ?? "no verdict"}); only a verified patch is applied, and nothing was changed`,
    );
  const patch = store.readResult(id, "patch.diff");
  if (patch === undefined)
    throw new UserError(`run ${id} is verified but has no patch.diff; nothing was changed`);
  if (values.branch) {
    const made = commitPatchToBranch(workspace, patch, values.branch, `closedloop: ${report.task ?? id}`);
    console.log(describeBranchCommit(values.branch, made));
    return 0;
  }
  const files = applyPatchToHost(workspace, patch);
  console.log(`applied run ${id} to ${workspace}: ${files.join(", ") || "(empty patch)"}`);
  return 0;
}
