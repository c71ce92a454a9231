// Code under test runs inside the test runner's process, so a patch to a SOURCE file can rewrite
// the test framework in memory (assert's methods become no-ops, pytest's reports say "passed")
// and go green with every test, config and verifier script protected. No sandbox can stop that;
// a careful reviewer reads the patch. This does: it scans the lines the candidate patch ADDS to
// every file the protection filter keeps (so never a protected test) for code that reaches into
// the test machinery or the process's verdict channel (exit status, output, the interpreter's
// tracing and import state), and names each place. It is a heuristic over text, not
// a proof: obfuscated code gets past it, which is why hidden checks stay the real defence.
import { type PatchFile, parsePatchFiles } from "../patch/index.ts";
import { type LineHit, procHit, type ScannedLine } from "./tamper-lines.ts";
import { scanJsLines } from "./tamper-rules-js.ts";
import { scanPythonLines } from "./tamper-rules-python.ts";

export interface TamperFinding {
  /** Workspace-relative path of the file the patch adds the line to. */
  file: string;
  /** The line's number in the patched file. */
  line: number;
  /** What it touches, as the model reads it: "overwrites node:assert's methods". */
  touches: string;
  /** The added line, trimmed and cut to 160 characters. */
  code: string;
}

export interface TamperScanOptions {
  /** The file's text before the patch (to learn which names are bound to test modules). */
  readOriginal?: (path: string) => string | undefined;
  /**
   * Files the scan leaves alone: the tests the user let the model edit (--allow-edit over a
   * protected test). Nothing else is exempt: a file's name or folder (`src/spec/compat.js`,
   * `specs/compat.py`) says nothing of whether a runner collects it, and a file that survives
   * the protection filter is, by definition, not a protected test; it is code the tests import.
   */
  exempt?: (path: string) => boolean;
}

const jsFile = /\.([cm]?[jt]sx?)$/;
const pyFile = /\.py$/;
/** Type declarations and stubs never run: nothing in them can change a test's verdict. */
const declarationFile = /\.d\.[cm]?ts$|\.pyi$/;

/**
 * Compiled Python bytecode runs in place of its source (a sourceless `calc.pyc`, or a cache
 * entry the importer or pytest's assertion rewriter trusts) and no reviewer can read it.
 */
const bytecodeFile = /\.py[co]$/;
const bytecodeTouches = "adds compiled Python bytecode, which runs in place of the source a reviewer reads";

/** Every added line of a file the protection filter kept that reaches into the test machinery, in patch order. */
export function scanPatchForTampering(patch: string, options: TamperScanOptions = {}): TamperFinding[] {
  const findings: TamperFinding[] = [];
  for (const file of parsePatchFiles(patch).files) {
    const path = file.newPath;
    if (path === null || options.exempt?.(path) || declarationFile.test(path)) continue;
    if (bytecodeFile.test(path)) {
      findings.push({ file: path, line: 1, touches: bytecodeTouches, code: "(compiled bytecode)" });
      continue;
    }
    const lines = patchedLines(file);
    if (!lines.some((line) => line.added)) continue;
    const original = file.oldPath !== null ? options.readOriginal?.(file.oldPath) : undefined;
    // Names bound in lines the patch leaves alone (imports above the hunk) count too.
    const context = [...(original?.split("\n") ?? []), ...lines.map((line) => line.text)];
    const hits = jsFile.test(path)
      ? scanJsLines(lines, context)
      : pyFile.test(path)
        ? scanPythonLines(lines, context, path)
        : scanAnyLines(lines);
    for (const hit of hits)
      findings.push({ file: path, line: hit.line.number, touches: hit.touches, code: clip(hit.line.text) });
  }
  return findings;
}

function scanAnyLines(lines: ScannedLine[]): LineHit[] {
  return lines.flatMap((line) => {
    const hit = line.added ? procHit(line) : undefined;
    return hit ? [hit] : [];
  });
}

/** The lines of the file's hunks as the patch leaves them (added and context), numbered. */
function patchedLines(file: PatchFile): ScannedLine[] {
  const out: ScannedLine[] = [];
  let next = -1;
  for (const raw of file.text.split("\n")) {
    const hunk = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(raw);
    if (hunk) {
      next = Number(hunk[1]);
      continue;
    }
    if (next < 0) continue; // the section's header (diff --git, ---, +++, modes)
    if (raw.startsWith("+")) out.push({ number: next++, text: raw.slice(1), added: true });
    else if (raw.startsWith(" ")) out.push({ number: next++, text: raw.slice(1), added: false });
    else if (raw.startsWith("GIT binary patch")) break;
  }
  return out;
}

function clip(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > 160 ? `${trimmed.slice(0, 157)}...` : trimmed;
}

/** The reason the model reads: "the patch changes how tests judge, from code under test: …". */
export function describeTampering(findings: readonly TamperFinding[]): string {
  const shown = findings.slice(0, 8).map((f) => `${f.file}:${f.line} ${f.touches}`);
  const more = findings.length > 8 ? `; and ${findings.length - 8} more` : "";
  return `the patch changes how tests judge, from code under test: ${shown.join("; ")}${more}`;
}
