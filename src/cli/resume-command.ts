// `closedloop resume <id>`: continues a run whose process died, from its last completed step.
// The sandbox is rebuilt from the user's tree plus the last checkpoint's patch, the context
// from the event log, and the model is told how many calls were already made.
import { type LoopEvent, planResume } from "../loop/index.ts";
import { RunStore } from "../store/index.ts";
import { UserError } from "../util/index.ts";
import { outputFlags, parseFlagTable } from "./flag-table.ts";
import { outputMode } from "./run-options.ts";
import { type LaunchSpec, runSession } from "./run-session.ts";

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlagTable(outputFlags, argv, "resume", { positionals: true });
  if (values.help) {
    console.log("usage: closedloop resume <run-id> [--json] [--plain] [--runs-dir DIR]");
    return 0;
  }
  const [id] = positionals;
  if (!id) throw new UserError("which run? closedloop resume <run-id> ('closedloop show' lists them)");
  const runsDir = values["runs-dir"] ?? ".closedloop/runs";
  const { events } = new RunStore(runsDir).readEvents<LoopEvent>(id);
  const plan = planResume(events);
  const output = outputMode(values);
  if (output !== "json")
    console.log(`resuming run ${id} after step ${plan.lastStep} (task: ${plan.config.task})`);
  return runSession({
    runId: plan.runId,
    config: plan.config,
    launch: plan.config.launch as unknown as LaunchSpec,
    output,
    runsDir,
    resume: plan,
  });
}
