// `closedloop show [<id>]`: a run's timeline from its event log (or, without an id, the list
// of runs). Events of a step cut short by a crash are shown, marked as set aside.
import { type LoopEvent, readTrajectory } from "../loop/index.ts";
import { RunStore } from "../store/index.ts";
import { outputFlags, parseFlagTable } from "./flag-table.ts";
import { formatEventLine, ignoreClosedStdout } from "./progress-renderer.ts";

function clock(ms: number): string {
  return `+${(ms / 1000).toFixed(1)}s`.padStart(8);
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlagTable(outputFlags, argv, "show", { positionals: true });
  if (values.help) {
    console.log(
      "usage: closedloop show [<run-id>] [--json] [--runs-dir DIR]\n\nWithout an id, lists the runs.",
    );
    return 0;
  }
  ignoreClosedStdout();
  const store = new RunStore(values["runs-dir"] ?? ".closedloop/runs");
  const [id] = positionals;
  if (!id) {
    const runs = store.list();
    if (values.json) for (const entry of runs) console.log(JSON.stringify(entry));
    else if (runs.length === 0) console.log(`no runs under ${store.root}`);
    else
      for (const entry of runs)
        console.log(
          `${entry.id}  ${(entry.outcome ?? entry.status).padEnd(12)}  ${(entry.task ?? "").slice(0, 80)}`,
        );
    return 0;
  }
  const { events, tornTail } = store.readEvents<LoopEvent>(id);
  if (values.json) {
    for (const event of events) console.log(JSON.stringify(event));
    return 0;
  }
  const { discarded } = readTrajectory(events);
  const setAside = new Set<LoopEvent>(discarded);
  const start = events[0]?.at ?? 0;
  for (const event of events) {
    const line = formatEventLine(event);
    if (line === undefined) continue;
    console.log(`${clock(event.at - start)} ${setAside.has(event) ? "[set aside] " : ""}${line}`);
  }
  if (tornTail) console.log("(the last line of the log was cut short by a crash and is not shown)");
  if (!events.some((e) => e.type === "run.finished"))
    console.log(`(the run has not finished; 'closedloop resume ${id}' continues it if its process died)`);
  const patch = store.readResult(id, "patch.diff");
  if (patch !== undefined) console.log(`patch: ${store.runDir(id)}/patch.diff`);
  return 0;
}
