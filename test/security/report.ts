// `npm run test:security -- --report [--json]`: runs the same battery against `local` and
// against `process` and prints attack × backend. The `process` column is the calibration:
// an attack that gets nothing even without a sandbox proves nothing, so most must escape
// there. With --json, stdout carries exactly one object; progress goes to stderr.
//   --backend NAME   only one backend      --only ID[,ID]   only these attacks
import type { BackendName } from "../../src/sandbox/index.ts";
import { attacks } from "./attacks.ts";
import { createHostFixture } from "./host-fixture.ts";
import { type AttackResult, runBattery } from "./run-attack.ts";

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function cell(r: AttackResult | undefined): string {
  if (!r) return "-";
  if (r.error) return "ERROR";
  if (r.notApplicable) return "n/a";
  return r.escaped ? "ESCAPED" : "held";
}

function renderTable(results: Map<BackendName, AttackResult[]>, backends: BackendName[]): string {
  const rows = [["attack", "category", ...backends]];
  const ids = [...new Set([...results.values()].flat().map((r) => r.id))];
  for (const id of ids) {
    const any = [...results.values()].flat().find((r) => r.id === id)!;
    rows.push([id, any.category, ...backends.map((b) => cell(results.get(b)?.find((r) => r.id === id)))]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  const totals = backends.map((b) => {
    const rs = results.get(b) ?? [];
    return `${b}: ${rs.filter((r) => r.escaped && !r.error).length} escaped, ${rs.filter((r) => r.error).length} errors of ${rs.length}`;
  });
  return [line(rows[0]!), ...rows.slice(1).map(line), "", ...totals].join("\n");
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const only = argValue(args, "--only")?.split(",");
  const one = argValue(args, "--backend") as BackendName | undefined;
  const backends: BackendName[] = one ? [one] : ["local", "process"];
  const selected = only ? attacks.filter((a) => only.includes(a.id)) : attacks;
  const fixture = await createHostFixture();
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => void fixture.dispose().finally(() => process.exit(130)));
  }
  const results = new Map<BackendName, AttackResult[]>();
  try {
    for (const backend of backends) {
      const rs = await runBattery(selected, backend, fixture, (r) => {
        const extra = r.error
          ? ` error: ${r.error}`
          : r.hostChanges.length
            ? ` host: ${r.hostChanges.join("; ")}`
            : "";
        process.stderr.write(
          `${backend.padEnd(8)} ${cell(r).padEnd(8)} ${r.id} (${r.durationMs} ms) ${r.evidence}${extra}\n`,
        );
      });
      results.set(backend, rs);
    }
  } finally {
    await fixture.dispose();
  }
  const count = (b: BackendName, pick: (r: AttackResult) => boolean) =>
    (results.get(b) ?? []).filter(pick).length;
  if (json) {
    const escaped: Record<string, number> = {};
    const errors: Record<string, number> = {};
    for (const b of backends) {
      escaped[b] = count(b, (r) => r.escaped && !r.error);
      errors[b] = count(b, (r) => r.error !== undefined);
    }
    const details = [...results.values()].flat();
    process.stdout.write(`${JSON.stringify({ attacks: selected.length, escaped, errors, details })}\n`);
  } else {
    process.stdout.write(`${renderTable(results, backends)}\n`);
  }
  // Red when the real sandbox let anything through or could not be tested.
  const local = results.get("local");
  return local?.some((r) => r.escaped || r.error) ? 1 : 0;
}

process.exitCode = await main();
