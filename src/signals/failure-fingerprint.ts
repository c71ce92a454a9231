// A failure fingerprint names "the same failures" across steps: the loop compares them to
// detect a stall and to rank checkpoints. So everything that changes between two runs of
// the same failure — line numbers after an edit above it, timestamps, temp directories,
// durations, addresses, ports, ordering — is normalized away before hashing.
import { createHash } from "node:crypto";
import type { Finding } from "./types.ts";

const normalizers: [RegExp, string][] = [
  [/\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?/g, "<time>"],
  [/\b\d{1,2}:\d{2}:\d{2}(?:\.\d+)?\b/g, "<time>"],
  [/(?:\/private)?\/(?:tmp|var\/folders|var\/tmp)\/[^\s'"`:)]*/g, "<tmp>"],
  [/\b\d+(?:\.\d+)?\s?(?:ms|s|sec|seconds|µs|us|ns)\b/g, "<dur>"],
  [/\b0x[0-9a-f]{4,}\b/gi, "<addr>"],
  [/\b((?:\d{1,3}\.){3}\d{1,3}|localhost|\[::1\]):\d+\b/g, "$1:<port>"],
  [/:\d+:\d+\b/g, ":<line>"],
  [/\bline \d+\b/g, "line <n>"],
  [/\bthread '([^']+)' \(\d+\)/g, "thread '$1'"],
  [/\s+/g, " "],
];

export function normalizeForFingerprint(text: string): string {
  let out = text;
  for (const [pattern, replacement] of normalizers) out = out.replace(pattern, replacement);
  return out.trim();
}

/** Identity of one failure across steps: what failed and how, not where on which line. */
export function failureKey(finding: Finding): string {
  // A failing test is identified by its name alone: its message and the frame it fails in
  // may legitimately change as a fix gets closer.
  if (finding.kind === "test-failure" && finding.test)
    return `${finding.kind}|${normalizeForFingerprint(finding.test)}`;
  const file = finding.file ? normalizeForFingerprint(finding.file) : "";
  return `${finding.kind}|${file}|${normalizeForFingerprint(finding.message)}`;
}

/**
 * Stable across line-number shifts, timestamps, temp paths, durations and ordering; ""
 * when there are no findings. Multiplicity counts: fixing one of two identical errors
 * changes it.
 */
export function failureFingerprint(findings: Finding[]): string {
  const failures = findings.filter((f) => f.severity !== "warning");
  if (failures.length === 0) return "";
  const lines = failures
    .map((f) => `${f.source}|${failureKey(f)}|${normalizeForFingerprint(f.test ? f.message : "")}`)
    .sort();
  return createHash("sha256").update(lines.join("\n")).digest("hex").slice(0, 16);
}
