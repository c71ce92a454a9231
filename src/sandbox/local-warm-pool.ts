// Keeps one booted, unused sandbox ready for each policy that is used again and again (the
// loop creates a fresh clean-room sandbox for every verification, and reset() needs a new
// one). Taking a spare costs nothing; a cold start pays for cgroup migration (an RCU grace
// period per controller on cgroup v1) and namespace setup. A spare is a sandbox no code has
// run in, over the live tree, so handing it out is the same as booting one now. Spares
// are disposed after a short idle time and die with this process (their agent's channel
// closes). Policies with network rules are never pooled: their proxy reports to the
// caller's own callback.
import { sleepUnref } from "../util/index.ts";
import type { LocalInstance } from "./local-instance.ts";
import type { SandboxLimits, SandboxPolicy } from "./types.ts";

const idleMs = 30_000;
/** Two spares: boots run side by side, so a run of back-to-back creates stays warm. */
const spareCount = 2;
/** Let the caller's first command go before the spares compete for the CPU. */
const refillDelayMs = 3;

interface Slot {
  uses: number;
  spares: Promise<LocalInstance | undefined>[];
  timer?: NodeJS.Timeout;
}

const slots = new Map<string, Slot>();

export function warmPoolKey(policy: SandboxPolicy, limits: SandboxLimits): string | undefined {
  if (policy.warmPool === false || policy.allowNet?.length || policy.allowHostPorts?.length) return undefined;
  return JSON.stringify([
    policy.workspace,
    limits,
    policy.env ?? [],
    policy.setEnv ?? {},
    policy.readOnlyPaths ?? [],
  ]);
}

/** A booted instance for `key`: a spare if one is ready, else a fresh boot. */
export async function takeInstance(
  key: string | undefined,
  boot: () => Promise<LocalInstance>,
): Promise<LocalInstance> {
  if (key === undefined) return boot();
  const slot = slots.get(key) ?? { uses: 0, spares: [] };
  slots.set(key, slot);
  slot.uses++;
  const spare = slot.spares.shift();
  // A policy seen twice is likely to be seen again: keep the next ones coming.
  if (slot.uses >= 2) refill(key, slot, boot);
  const ready = spare ? await spare : undefined;
  return ready?.channel.isOpen ? ready : boot();
}

function refill(key: string, slot: Slot, boot: () => Promise<LocalInstance>): void {
  while (slot.spares.length < spareCount) {
    slot.spares.push(
      sleepUnref(refillDelayMs)
        .then(boot)
        .catch(() => undefined),
    );
  }
  if (slot.timer) clearTimeout(slot.timer);
  slot.timer = setTimeout(() => {
    slots.delete(key);
    for (const spare of slot.spares.splice(0)) void spare.then((s) => s?.stop());
  }, idleMs);
  slot.timer.unref();
}

/** Disposes every spare now (tests and benchmarks that want a quiet machine call this). */
export async function drainWarmPool(): Promise<void> {
  const spares = [...slots.values()].flatMap((s) => {
    if (s.timer) clearTimeout(s.timer);
    return s.spares.splice(0);
  });
  slots.clear();
  await Promise.all(spares.map(async (s) => (await s)?.stop()));
}
