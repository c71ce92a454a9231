// Bounded observations: output over the budget keeps its head and tail (errors tend to sit
// at the end, the command's context at the start) and says exactly what was cut and where
// the full text is, so the model can read the rest instead of guessing.

export interface TruncatedText {
  text: string;
  /** True when something was cut. */
  cut: boolean;
  cutLines: number;
  cutChars: number;
}

/**
 * Keeps at most `maxChars` characters of `text` (plus the one-line marker), split between
 * head (40%) and tail (60%) and cut on line boundaries when a line break is near.
 * `where` names the place holding the full text, for the marker.
 */
export function truncateMiddle(text: string, maxChars: number, where?: string): TruncatedText {
  if (text.length <= maxChars) return { text, cut: false, cutLines: 0, cutChars: 0 };
  const headBudget = Math.floor(maxChars * 0.4);
  const tailBudget = maxChars - headBudget;
  let headEnd = headBudget;
  const headBreak = text.lastIndexOf("\n", headBudget);
  if (headBreak > headBudget / 2) headEnd = headBreak + 1;
  let tailStart = text.length - tailBudget;
  const tailBreak = text.indexOf("\n", tailStart);
  if (tailBreak !== -1 && tailBreak < tailStart + tailBudget / 2) tailStart = tailBreak + 1;
  const middle = text.slice(headEnd, tailStart);
  const cutLines = countLines(middle);
  const place = where ? `; full output: ${where}` : "";
  const marker = `… [${cutLines} lines (${middle.length} characters) cut here${place}] …\n`;
  const head = text.slice(0, headEnd);
  return {
    text: `${head}${head.endsWith("\n") ? "" : "\n"}${marker}${text.slice(tailStart)}`,
    cut: true,
    cutLines,
    cutChars: middle.length,
  };
}

export function countLines(text: string): number {
  if (text.length === 0) return 0;
  let lines = 1;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) if (i < text.length - 1) lines++;
  return lines;
}
