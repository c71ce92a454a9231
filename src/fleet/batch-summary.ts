// `<out>/summary.json` and the table printed at the end of a batch: resolved %, cost, time
// and steps (median and total), and how many tasks ended which way.
import type { BatchResultLine } from "./batch-results.ts";
import type { BadRecord } from "./task-record.ts";

export interface Spread {
  total: number;
  median: number;
}

export interface BatchSummary {
  tasks: number;
  finished: number;
  resolved: number;
  resolvedPct: number;
  outcomes: Record<string, number>;
  costUsd: Spread;
  timeMs: Spread;
  wallTimeMs: Spread;
  steps: Spread;
  badRecords: BadRecord[];
  /** Tasks not started because --max-total-cost was reached, or whose checkout failed. */
  notRun: { instance_id: string; reason: string }[];
  queue: string;
  batchWallTimeMs: number;
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function spread(values: number[]): Spread {
  return { total: values.reduce((a, b) => a + b, 0), median: median(values) };
}

export function summarizeBatch(input: {
  tasks: number;
  lines: BatchResultLine[];
  badRecords: BadRecord[];
  notRun: { instance_id: string; reason: string }[];
  queue: string;
  batchWallTimeMs: number;
}): BatchSummary {
  const { lines } = input;
  const outcomes: Record<string, number> = {};
  for (const line of lines) outcomes[line.outcome] = (outcomes[line.outcome] ?? 0) + 1;
  const resolved = lines.filter((l) => l.resolved).length;
  return {
    tasks: input.tasks,
    finished: lines.length,
    resolved,
    resolvedPct: input.tasks === 0 ? 0 : Math.round((resolved / input.tasks) * 1000) / 10,
    outcomes,
    costUsd: spread(lines.map((l) => l.cost_usd)),
    timeMs: spread(lines.map((l) => l.time_ms)),
    wallTimeMs: spread(lines.map((l) => l.wall_time_ms)),
    steps: spread(lines.map((l) => l.steps)),
    badRecords: input.badRecords,
    notRun: input.notRun,
    queue: input.queue,
    batchWallTimeMs: Math.round(input.batchWallTimeMs),
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
const dollars = (usd: number) => `$${usd.toFixed(usd < 1 ? 4 : 2)}`;

export function formatSummaryTable(s: BatchSummary): string {
  const row = (name: string, median: string, total: string) =>
    `  ${name.padEnd(12)}${median.padStart(12)}${total.padStart(12)}`;
  const lines = [
    `resolved ${s.resolved}/${s.tasks} (${s.resolvedPct}%) · ${s.finished} finished · queue: ${s.queue}`,
    row("", "median", "total"),
    row("cost", dollars(s.costUsd.median), dollars(s.costUsd.total)),
    row("time", seconds(s.timeMs.median), seconds(s.timeMs.total)),
    row("wall time", seconds(s.wallTimeMs.median), seconds(s.batchWallTimeMs)),
    row("steps", String(s.steps.median), String(s.steps.total)),
    `outcomes: ${
      Object.entries(s.outcomes)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(" · ") || "none"
    }`,
  ];
  if (s.badRecords.length > 0) lines.push(`bad records skipped: ${s.badRecords.length}`);
  if (s.notRun.length > 0)
    lines.push(`not run: ${s.notRun.length} (${s.notRun[0]!.reason}${s.notRun.length > 1 ? ", …" : ""})`);
  return lines.join("\n");
}
