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

// A /proc path whose pid part is computed (`${ppid}`, `" + pid + "`, `{os.getppid()}`, `%d`) or
// a number, or `self`: a path code opens. `/proc/<pid>/mem` and `/proc/N/fd` in a message are prose.
const pidPart = String.raw`(?:\$\{[^}]*\}|\$\w+|["'\`]\s*\+[^+]*\+\s*["'\`]|\{[^}]*\}|%[ds]|\d+|self|thread-self)`;
const memPath = new RegExp(String.raw`/proc/${pidPart}/mem\b`);
const fdPath = new RegExp(String.raw`/proc/${pidPart}/fd\b`);
/** An API that opens a path for writing, on the same line (a shell's redirect, tee and dd too). */
const writes =
  /\b(?:writeFile(?:Sync)?|appendFile(?:Sync)?|createWriteStream|open(?:Sync)?\s*\([^)]*["'`](?:[wa]|r\+)|os\s*\.\s*(?:open|write)|open\s*\([^)]*["'](?:[wa]b?|r\+b?|rb\+)["']|tee|of=)|>\s*["']?\/proc\//;
/** Any API that opens a path, or the path put in a variable for one. */
const opens =
  /\b(?:open(?:Sync)?|readFile(?:Sync)?|writeFile(?:Sync)?|create(?:Read|Write)Stream|FileHandle|os\s*\.\s*open|mmap)\s*\(|(?:=|:=)\s*f?["'`]\/proc\/|[<>]\s*["']?\/proc\/|\bdd\b/;

/** Opening a process's memory (the runner's, or its own), or writing another process's descriptors. */
export function procHit(line: ScannedLine): LineHit | undefined {
  const text = line.text;
  if (!text.includes("/proc/")) return undefined;
  if (memPath.test(text) && opens.test(text))
    return { line, touches: "opens process memory through /proc/<pid>/mem" };
  const fd = fdPath.exec(text);
  if (fd && !/\/proc\/(?:self|thread-self)\//.test(fd[0]) && writes.test(text))
    return { line, touches: "writes another process's file descriptors through /proc/<pid>/fd" };
  return undefined;
}
