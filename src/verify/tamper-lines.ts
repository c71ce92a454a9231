// The unit the tamper scan works on: a line of a patched file, and a rule's hit on it.

/** One line of a file as the patch leaves it; `added` when the patch wrote it. */
export interface ScannedLine {
  number: number;
  text: string;
  added: boolean;
}

/** A rule set's verdict on one line. */
export interface LineHit {
  line: ScannedLine;
  touches: string;
}

/** Writing another process's memory or descriptors (the runner's): no source file has a reason to. */
export function procHit(line: ScannedLine): LineHit | undefined {
  const text = line.text;
  if (!text.includes("/proc/")) return undefined;
  if (/\/mem\b/.test(text)) return { line, touches: "writes process memory through /proc/<pid>/mem" };
  if (/\/fd\b/.test(text) && !/\/proc\/self\/fd\b/.test(text))
    return { line, touches: "writes another process's file descriptors through /proc/<pid>/fd" };
  return undefined;
}
