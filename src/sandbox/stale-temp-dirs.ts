// Temp dirs named after the host process that made them (`closedloop-process-<pid>-XXXXXX`),
// so a later run can remove what a killed run left behind: an `exit` hook does not run on
// SIGKILL or an unhandled signal. A dir is only removed when its pid is no longer alive.
import { readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isProcessAlive } from "../util/index.ts";

const swept = new Set<string>();

/** The mkdtemp prefix for `kind` in this process, e.g. /tmp/closedloop-diff-1234-. */
export function ownedTempPrefix(kind: string): string {
  return join(tmpdir(), `closedloop-${kind}-${process.pid}-`);
}

/** Removes `closedloop-<kind>-<pid>-*` dirs of dead processes; once per kind per process. */
export function sweepStaleTempDirs(kind: string): void {
  if (swept.has(kind)) return;
  swept.add(kind);
  const pattern = new RegExp(`^closedloop-${kind}-(\\d+)-`);
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!pid || pid === process.pid || isProcessAlive(pid)) continue;
    rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}
