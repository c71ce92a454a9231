// The verifier's witness as a verdict, report or event may carry it: which tests failed at
// baseline and pass now (fail-to-pass) and which passed and still pass (pass-to-pass).
// Read defensively: an older verdict has none, and then nothing is claimed.

export interface WitnessEntry {
  id: string;
  before: string;
  after: string;
}

export interface Witness {
  failToPass: WitnessEntry[];
  passToPass: WitnessEntry[];
}

function entries(value: unknown): WitnessEntry[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value
    .filter(
      (e): e is Record<string, unknown> => typeof e === "object" && e !== null && typeof e.id === "string",
    )
    .map((e) => ({ id: String(e.id), before: String(e.before ?? "?"), after: String(e.after ?? "?") }));
}

export function readWitness(source: unknown): Witness | undefined {
  if (typeof source !== "object" || source === null) return undefined;
  const record = source as Record<string, unknown>;
  const nested = typeof record.witness === "object" && record.witness !== null ? record.witness : record;
  const failToPass = entries((nested as Record<string, unknown>).failToPass);
  const passToPass = entries((nested as Record<string, unknown>).passToPass);
  if (!failToPass && !passToPass) return undefined;
  return { failToPass: failToPass ?? [], passToPass: passToPass ?? [] };
}

export function formatWitness(witness: Witness, max = 20): string {
  const lines = [`witness: ${witness.failToPass.length} fail→pass, ${witness.passToPass.length} pass→pass`];
  for (const e of witness.failToPass.slice(0, max))
    lines.push(`  fail→pass ${e.id} (${e.before} → ${e.after})`);
  const broken = witness.passToPass.filter((e) => e.after !== "pass");
  for (const e of broken.slice(0, max)) lines.push(`  pass→pass BROKEN ${e.id} (${e.before} → ${e.after})`);
  return lines.join("\n");
}
