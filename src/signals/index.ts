// Public face of the signals module: raw output in, small exact feedback out.
// NOTE: compactOutput below is the first, simple version (head + tail); the parsers and the
// real compactor replace its body without changing the signature.
import type { CompactFeedback, Finding } from "./types.ts";

export type * from "./types.ts";

export interface CompactOptions {
  /** The command that produced the output; helps pick parsers (`npx tsc`, `pytest -q` …). */
  command?: string;
  exitCode?: number | null;
  /** Token budget for `text`. */
  budgetTokens?: number;
  /** The previous step's feedback for the same command, to say what changed. */
  previous?: CompactFeedback;
}

/** Rough token count (≈ 4 characters a token), the same estimate everywhere in closedloop. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function compactOutput(raw: string, options: CompactOptions = {}): CompactFeedback {
  const budgetChars = (options.budgetTokens ?? 2000) * 4;
  const text =
    raw.length <= budgetChars
      ? raw
      : `${raw.slice(0, budgetChars / 2)}\n… [${raw.length - budgetChars} characters cut] …\n${raw.slice(-budgetChars / 2)}`;
  const findings: Finding[] = [];
  return {
    text,
    findings,
    summary: { failed: 0, passed: 0, errors: 0, status: "unparsed", parsers: [] },
    fingerprint: failureFingerprint(findings),
  };
}

export function failureFingerprint(findings: Finding[]): string {
  return findings
    .map((f) => `${f.source}|${f.file ?? ""}|${f.test ?? ""}|${f.message}`)
    .sort()
    .join("\n");
}
