// Keeps one booted, unused sandbox ready for each policy that is used again and again (the
// loop creates a fresh clean-room sandbox for every verification, and reset() needs a new
// one). Taking a spare costs nothing; a cold start pays for cgroup migration (an RCU grace
// period per controller on cgroup v1) and namespace setup. A spare is a sandbox no code has
// run in, over the live tree, so handing it out is the same as booting one now. Spares
// are disposed after a short idle time and die with this process (their agent's channel
// closes). Policies with network rules are never pooled: their proxy reports to the
// caller's own callback.
import type { LocalInstance } from "./local-instance.ts";
import type { SandboxLimits, SandboxPolicy } from "./types.ts";

const idleMs = 30_000;

interface Slot {
  uses: number;
  spare?: Promise<LocalInstance | undefined>;
  timer?: NodeJS.Timeout;
}

const slots = new Map<string, Slot>();

export function warmPoolKey(policy: SandboxPolicy, limits: SandboxLimits): string | undefined {
  if (policy.warmPool === false || policy.allowNet?.length || policy.allowHostPorts?.length) return undefined;
  return JSON.stringify([policy.workspace, limits, policy.env ?? [], policy.setEnv ?? {}]);
}

/** A booted instance for `key`: the spare if one is ready, else a fresh boot. */
export async function takeInstance(
  key: string | undefined,
  boot: () => Promise<LocalInstance>,
): Promise<LocalInstance> {
  if (key === undefined) return boot();
  const slot = slots.get(key) ?? { uses: 0 };
  slots.set(key, slot);
  slot.uses++;
  const spare = slot.spare;
  slot.spare = undefined;
  if (slot.timer) clearTimeout(slot.timer);
  const ready = spare ? await spare : undefined;
  const instance = ready?.channel.isOpen ? ready : await boot();
  // A policy seen twice is likely to be seen again: have the next one ready.
  if (slot.uses >= 2) refill(key, slot, boot);
  return instance;
}

function refill(key: string, slot: Slot, boot: () => Promise<LocalInstance>): void {
  slot.spare = new Promise((resolve) => setImmediate(resolve)).then(boot).catch(() => undefined);
  slot.timer = setTimeout(() => {
    const spare = slot.spare;
    slot.spare = undefined;
    slots.delete(key);
    void spare?.then((s) => s?.stop());
  }, idleMs);
  slot.timer.unref();
}

/** Disposes every spare now (tests and benchmarks that want a quiet machine call this). */
export async function drainWarmPool(): Promise<void> {
  const spares = [...slots.values()].map((s) => {
    if (s.timer) clearTimeout(s.timer);
    return s.spare;
  });
  slots.clear();
  await Promise.all(spares.map(async (s) => (await s)?.stop()));
}
