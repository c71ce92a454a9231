// Durations as people write them on a command line: `30s`, `500ms`, `2m`, `1h`, `1m30s`.
// A bare number is seconds, as for timeout(1).
import { UserError } from "./errors.ts";

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in `text`; throws a UserError naming `what` when it is not a duration. */
export function parseDuration(text: string, what = "duration"): number {
  const trimmed = text.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(part)) {
    if (match.index !== consumed) break;
    total += Number(match[1]) * unitMs[match[2]!]!;
    consumed += match[0].length;
  }
  if (trimmed === "" || consumed !== trimmed.length) {
    throw new UserError(`${what} '${text}' is not a duration; write e.g. 30s, 500ms, 2m or 1h`);
  }
  return Math.round(total);
}
