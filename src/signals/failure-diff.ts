// "What changed since the last try" — the one line that tells the model whether its last
// edit helped: 3 fixed, 1 new, 36 still failing, with the fixed and new ones named.
import { failureKey } from "./failure-fingerprint.ts";
import { formatLocation } from "./stack-frames.ts";
import type { Finding } from "./types.ts";

export interface FailureDiff {
  fixed: string[];
  added: string[];
  still: string[];
}

/** How a finding is named to the model: the test name, or the message at its location. */
export function describeFinding(finding: Finding): string {
  if (finding.test) return finding.test;
  const where = formatLocation(finding);
  return where ? `${where} ${finding.message}` : finding.message;
}

export function diffFailures(previous: Finding[], current: Finding[]): FailureDiff {
  const counted = (findings: Finding[]) => {
    const map = new Map<string, { finding: Finding; count: number }>();
    for (const f of findings) {
      if (f.severity === "warning") continue;
      const key = failureKey(f);
      const entry = map.get(key);
      if (entry) entry.count++;
      else map.set(key, { finding: f, count: 1 });
    }
    return map;
  };
  const before = counted(previous);
  const after = counted(current);
  const diff: FailureDiff = { fixed: [], added: [], still: [] };
  for (const [key, { finding, count }] of before) {
    const now = after.get(key)?.count ?? 0;
    for (let i = 0; i < count - Math.min(count, now); i++) diff.fixed.push(describeFinding(finding));
  }
  for (const [key, { finding, count }] of after) {
    const was = before.get(key)?.count ?? 0;
    for (let i = 0; i < count - Math.min(count, was); i++) diff.added.push(describeFinding(finding));
    for (let i = 0; i < Math.min(count, was); i++) diff.still.push(describeFinding(finding));
  }
  return diff;
}

/** `3 fixed, 1 new, 36 still failing` plus the names of the fixed and new ones. */
export function formatFailureDiff(diff: FailureDiff, maxNames = 20): string[] {
  const lines = [
    `Since the previous run: ${diff.fixed.length} fixed, ${diff.added.length} new, ${diff.still.length} still failing`,
  ];
  const names = (label: string, list: string[]) => {
    if (list.length === 0) return;
    const shown = list.slice(0, maxNames).map((n) => truncate(n, 160));
    const more = list.length > shown.length ? ` … and ${list.length - shown.length} more` : "";
    lines.push(`  ${label}: ${shown.join("; ")}${more}`);
  };
  names("fixed", diff.fixed);
  names("new", diff.added);
  return lines;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
