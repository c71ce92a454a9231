// `closedloop demo`: the whole loop on a small bundled buggy project (examples/demo/project,
// copied to a temp dir) with the scripted model — no key, no network. The script is written
// to show the loop's promises: a premature `done` is refused with the failures, the fix goes
// on, and the run ends only when the verifier passes in a clean sandbox.
import { cpSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { RunStore } from "../store/index.ts";
import { UserError } from "../util/index.ts";
import { parseVerifierSpec } from "../verify/index.ts";
import { type FlagTable, formatFlagHelp, outputFlags, parseFlagTable } from "./flag-table.ts";
import { ignoreClosedStdout } from "./progress-renderer.ts";
import { outputMode } from "./run-options.ts";
import { buildRunConfig, type LaunchSpec, runSession } from "./run-session.ts";

export const demoDir = fileURLToPath(new URL("../../examples/demo/", import.meta.url));

const demoFlags = {
  sandbox: { value: "NAME", help: "local (isolated, default) or process (NO isolation)" },
  keep: { help: "leave the temporary copy of the project in place" },
  ...outputFlags,
} as const satisfies FlagTable;

const demoUsage = `usage: closedloop demo [options]

Runs the loop on a bundled buggy project with a scripted model (no LLM, no key, no network).

${formatFlagHelp(demoFlags)}`;

interface DemoSpec {
  task: string;
  verify: string[];
  protect: string[];
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlagTable(demoFlags, argv, "demo");
  if (values.help) {
    console.log(demoUsage);
    return 0;
  }
  ignoreClosedStdout();
  const backend = values.sandbox ?? "local";
  if (backend !== "local" && backend !== "process")
    throw new UserError(`--sandbox ${backend}: choose local (isolated) or process (no isolation)`);
  const demo = JSON.parse(readFileSync(join(demoDir, "demo.json"), "utf8")) as DemoSpec;
  const workspace = realpathSync(mkdtempSync(join(tmpdir(), "closedloop-demo-")));
  cpSync(join(demoDir, "project"), workspace, { recursive: true });
  const output = outputMode(values);
  const script = join(demoDir, "turns.json");
  if (output !== "json") {
    console.log("closedloop demo — the model is SCRIPTED (no LLM): it replays examples/demo/turns.json.");
    console.log("No API key and no network are used. Your own files are not touched.");
    console.log(`project: a copy of examples/demo/project in ${workspace}\ntask: ${demo.task}\n`);
  }
  const launch: LaunchSpec = {
    modelId: `scripted:${script}`,
    backend,
    allowNet: [],
    spec: parseVerifierSpec({ verify: demo.verify, protect: demo.protect }),
  };
  let finished = false;
  try {
    return await runSession({
      runId: RunStore.createRunId(),
      config: buildRunConfig(demo.task, workspace, launch, { maxSteps: 12 }),
      launch,
      output,
      // The demo's records go to the user's state folder, never into the current directory.
      runsDir: values["runs-dir"] ?? demoRunsDir(),
      afterRun(result) {
        finished = result.outcome !== "interrupted";
        if (output === "json") return;
        console.log(`\nThe patch closedloop hands over (verified in a fresh sandbox):\n\n${result.patch}`);
      },
    });
  } finally {
    if (finished && !values.keep) rmSync(workspace, { recursive: true, force: true });
    else if (output !== "json") console.log(`the demo's copy of the project is left in ${workspace}`);
  }
}

/** Where demo runs are recorded: $XDG_STATE_HOME/closedloop/demo-runs. */
export function demoRunsDir(): string {
  const state = process.env.XDG_STATE_HOME || join(homedir(), ".local", "state");
  return join(state, "closedloop", "demo-runs");
}
