// How closedloop writes words for POSIX sh and reads a shell's exit codes back: one place, so
// `sandbox`, `check` and the tools quote and report alike.
import { constants } from "node:os";

/** The word as sh reads it: unchanged when it is plainly safe, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Exit code of a command that ended by `signal`, as shells report it (128 + its number). */
export function signalExitCode(signal: string): number {
  return 128 + ((constants.signals as Record<string, number>)[signal] ?? 0);
}
