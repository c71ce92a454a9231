// The heart of `edit_file`: replace exactly one occurrence of a string. When that is not
// possible, say precisely why (absent, ambiguous, no-op) and point at the nearest thing the
// model probably meant, since a vague "no match" makes models retry the same wrong text.

export type EditOutcome =
  | { ok: true; text: string; startLine: number; endLine: number }
  | { ok: false; problem: "empty" | "unchanged" | "absent" | "ambiguous"; message: string };

/** `startLine`/`endLine` are the 1-based lines the new text occupies in the result. */
export function applyExactEdit(text: string, oldText: string, newText: string): EditOutcome {
  if (oldText.length === 0)
    return {
      ok: false,
      problem: "empty",
      message: "oldText is empty. To create a file or replace all of it, use write_file.",
    };
  if (oldText === newText)
    return {
      ok: false,
      problem: "unchanged",
      message: "oldText and newText are identical; nothing would change.",
    };
  let needle = oldText;
  let replacement = newText;
  let at = findAll(text, needle);
  // Files with CRLF line ends: the model writes "\n"; match and keep the file's convention.
  if (at.length === 0 && text.includes("\r\n") && !oldText.includes("\r")) {
    needle = oldText.replaceAll("\n", "\r\n");
    replacement = newText.replaceAll("\r\n", "\n").replaceAll("\n", "\r\n");
    at = findAll(text, needle);
  }
  if (at.length === 0) return { ok: false, problem: "absent", message: explainAbsent(text, oldText) };
  if (at.length > 1) {
    const lines = at.map((index) => lineOf(text, index));
    return {
      ok: false,
      problem: "ambiguous",
      message:
        `oldText occurs ${at.length} times (starting at lines ${lines.join(", ")}). ` +
        "Include more surrounding lines in oldText so that it matches exactly once.",
    };
  }
  const index = at[0]!;
  const result = text.slice(0, index) + replacement + text.slice(index + needle.length);
  const startLine = lineOf(text, index);
  const endLine = startLine + Math.max(0, replacement.split("\n").length - 1);
  return { ok: true, text: result, startLine, endLine };
}

function findAll(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) found.push(i);
  return found;
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

function explainAbsent(text: string, oldText: string): string {
  const base = "oldText was not found in the file.";
  const wanted = oldText.split("\n").map((line) => line.trim());
  const lines = text.split("\n").map((line) => line.trim());
  if (/^\s*\d+\t/.test(oldText))
    return `${base} It starts with a line number and a tab, as read_file shows them; the numbers are not part of the file — leave them out.`;
  while (wanted.length > 0 && wanted[wanted.length - 1] === "") wanted.pop();
  while (wanted.length > 0 && wanted[0] === "") wanted.shift();
  if (wanted.length === 0) return `${base} It is only whitespace.`;
  for (let i = 0; i + wanted.length <= lines.length; i++) {
    if (wanted.every((line, k) => lines[i + k] === line))
      return (
        `${base} Lines ${i + 1}–${i + wanted.length} match if whitespace at line starts and ends is ignored: ` +
        "copy the exact indentation and spacing (read_file those lines)."
      );
  }
  const first = wanted[0]!;
  const firstAt = lines.indexOf(first);
  if (firstAt !== -1)
    return `${base} Its first line matches line ${firstAt + 1}, but the lines after it differ: read_file from line ${firstAt + 1} and copy them exactly.`;
  return `${base} Read the file again (read_file or search) and copy the text exactly, including whitespace.`;
}
