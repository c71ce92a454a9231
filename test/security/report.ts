// `npm run test:security -- --report [--json]`: runs the same battery against `local` and
// against `process` and prints attack × backend. The `process` column is the calibration:
// an attack that gets nothing even without a sandbox proves nothing, so most must escape
// there. With --json, stdout carries exactly one object; progress goes to stderr.
// Run as root, it runs the battery a second time as an unprivileged user
// (scripts/security-as-unprivileged.sh) and shows both: columns "local as clbattery" …,
// and `runs` in the JSON, one object per user, each with its own counts and details.
//   --backend NAME   only one backend      --only ID[,ID]   only these attacks
//   --as-root-only   skip the unprivileged run
import { spawnSync } from "node:child_process";
import { userInfo } from "node:os";
import type { BackendName } from "../../src/sandbox/index.ts";
import { attacks } from "./attacks.ts";
import { createHostFixture } from "./host-fixture.ts";
import { type AttackResult, runBattery } from "./run-attack.ts";

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** Escaped only through a limit the sandbox itself says it cannot hold here (nothing else broke). */
function isDisclosedGap(r: AttackResult): boolean {
  return r.gap !== undefined && r.hostChanges.length === 0 && r.strays.length === 0;
}

function cell(r: AttackResult | undefined): string {
  if (!r) return "-";
  if (r.error) return "ERROR";
  if (r.notApplicable) return "n/a";
  if (r.escaped && isDisclosedGap(r)) return "GAP (disclosed)";
  return r.escaped ? "ESCAPED" : "held";
}

/** One user's run: its counts per backend and every result. */
interface UserRun {
  as: string;
  escaped: Record<string, number>;
  /** Escapes through a limit the sandbox itself reported as unenforced here. */
  gaps?: Record<string, number>;
  errors: Record<string, number>;
  details: AttackResult[];
  /** Set when this run could not happen at all. */
  error?: string;
}

function renderTable(results: Map<string, AttackResult[]>, backends: string[]): string {
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
    const gaps = rs.filter((r) => r.escaped && !r.error && isDisclosedGap(r)).length;
    const escapedCount = rs.filter((r) => r.escaped && !r.error).length - gaps;
    return `${b}: ${escapedCount} escaped, ${gaps} disclosed gaps, ${rs.filter((r) => r.error).length} errors of ${rs.length}`;
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
  const escaped: Record<string, number> = {};
  const errors: Record<string, number> = {};
  const gaps: Record<string, number> = {};
  for (const b of backends) {
    escaped[b] = count(b, (r) => r.escaped && !r.error && !isDisclosedGap(r));
    gaps[b] = count(b, (r) => r.escaped && !r.error && isDisclosedGap(r));
    errors[b] = count(b, (r) => r.error !== undefined);
  }
  const mine: UserRun = {
    as: userInfo().username,
    escaped,
    gaps,
    errors,
    details: [...results.values()].flat(),
  };
  const runs = [mine];
  if (process.getuid?.() === 0 && !args.includes("--as-root-only")) runs.push(runUnprivileged(args));
  if (json) {
    // The top-level counts stay this user's, as before; `runs` has every user's.
    process.stdout.write(`${JSON.stringify({ attacks: selected.length, ...mine, runs })}\n`);
  } else {
    const columns = new Map<string, AttackResult[]>();
    for (const run of runs) {
      for (const b of backends) {
        const label = run === mine ? b : `${b} as ${run.as}`;
        columns.set(
          label,
          run.details.filter((r) => r.backend === b),
        );
      }
    }
    process.stdout.write(`${renderTable(columns, [...columns.keys()])}\n`);
    for (const run of runs) if (run.error) process.stdout.write(`as ${run.as}: ${run.error}\n`);
  }
  // Red when the real sandbox let anything through or could not be tested, for any user.
  return runs.some(
    (run) =>
      run.error !== undefined ||
      run.details.some((r) => r.backend === "local" && ((r.escaped && !isDisclosedGap(r)) || r.error)),
  )
    ? 1
    : 0;
}

/** The same selection, as the unprivileged user; its progress goes to our stderr. */
function runUnprivileged(args: string[]): UserRun {
  const user = process.env.CLSEC_USER ?? "clbattery";
  const script = new URL("../../scripts/security-as-unprivileged.sh", import.meta.url).pathname;
  const forwarded = args.filter((a) => a !== "--json");
  const r = spawnSync(script, ["--report", "--json", ...forwarded], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 ** 2,
  });
  const line = r.stdout?.trim().split("\n").pop() ?? "";
  try {
    const parsed = JSON.parse(line) as UserRun;
    return { as: parsed.as ?? user, escaped: parsed.escaped, errors: parsed.errors, details: parsed.details };
  } catch {
    return {
      as: user,
      escaped: {},
      errors: {},
      details: [],
      error: `the unprivileged run gave no report (exit ${r.status ?? r.signal}): ${r.error?.message ?? line.slice(0, 200)}`,
    };
  }
}

process.exitCode = await main();
