// Runs one attack against one backend and judges it on the host: the attack's own verdict,
// plus a before/after snapshot of the host, plus a search for processes carrying the
// run's marker after every sandbox was disposed. Any of the three counts as an escape.
// Whatever happened, the host is put back (strays killed, planted files restored).
import type { BackendName } from "../../src/sandbox/index.ts";
import { type Attack, findMarkedProcesses, openContext } from "./attack-context.ts";
import type { HostFixture } from "./host-fixture.ts";
import { compareSnapshots, snapshotHost } from "./host-snapshot.ts";

export interface AttackResult {
  id: string;
  category: Attack["category"];
  title: string;
  backend: BackendName;
  escaped: boolean;
  evidence: string;
  hostChanges: string[];
  /** Host pids still alive after dispose that were started by the attack. */
  strays: number[];
  /** Set when the attack has no target on this backend (see Attack.appliesTo). */
  notApplicable?: boolean;
  /** Set when the attack could not be run at all (e.g. the backend failed to start). */
  error?: string;
  /** A limit the sandbox itself reported as unenforced here (see AttackOutcome.gap). */
  gap?: string;
  durationMs: number;
}

const attackTimeoutMs = 45_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`attack did not finish within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function settleStrays(marker: string): Promise<number[]> {
  // dispose() may still be reaping; give it a moment before calling anything a stray.
  for (let i = 0; i < 10; i++) {
    if (findMarkedProcesses(marker).length === 0) return [];
    await new Promise((r) => setTimeout(r, 100));
  }
  const strays = findMarkedProcesses(marker);
  for (const pid of strays) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
  return strays;
}

export async function runAttack(
  attack: Attack,
  backend: BackendName,
  fixture: HostFixture,
): Promise<AttackResult> {
  const start = Date.now();
  if (attack.appliesTo && !attack.appliesTo.includes(backend))
    return {
      id: attack.id,
      category: attack.category,
      title: attack.title,
      backend,
      escaped: false,
      notApplicable: true,
      evidence: `not run: it targets the ${attack.appliesTo.join("/")} backend's own machinery`,
      hostChanges: [],
      strays: [],
      durationMs: 0,
    };
  const before = snapshotHost(fixture, attack.id);
  const open = openContext(backend, fixture, attack.id);
  let escaped = false;
  let evidence = "";
  let error: string | undefined;
  let gap: string | undefined;
  try {
    const outcome = await withTimeout(attack.run(open.ctx), attackTimeoutMs);
    escaped = outcome.escaped;
    evidence = outcome.evidence;
    gap = outcome.gap;
  } catch (e) {
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    evidence = "the attack could not run";
  } finally {
    await open.close();
  }
  const strays = await settleStrays(fixture.marker);
  const after = snapshotHost(fixture, attack.id);
  const hostChanges = compareSnapshots(before, after);
  fixture.restore(
    attack.id,
    hostChanges.some((c) => c.startsWith("workspace")),
  );
  if (strays.length > 0) evidence += `; ${strays.length} marked process(es) outlived dispose`;
  return {
    id: attack.id,
    category: attack.category,
    title: attack.title,
    backend,
    escaped: escaped || hostChanges.length > 0 || strays.length > 0,
    evidence: evidence.replaceAll(fixture.secretToken, "<secret>").slice(0, 400),
    hostChanges,
    strays,
    ...(error === undefined ? {} : { error }),
    ...(gap === undefined || !escaped ? {} : { gap }),
    durationMs: Date.now() - start,
  };
}

/** Runs attacks one after the other (they measure CPU, memory and time, so never in parallel). */
export async function runBattery(
  attacks: Attack[],
  backend: BackendName,
  fixture: HostFixture,
  onResult?: (r: AttackResult) => void,
): Promise<AttackResult[]> {
  const results: AttackResult[] = [];
  for (const attack of attacks) {
    const r = await runAttack(attack, backend, fixture);
    onResult?.(r);
    results.push(r);
  }
  return results;
}
