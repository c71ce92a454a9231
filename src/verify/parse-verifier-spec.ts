// Turns what the user typed (`--verify`, `--protect`, `--hidden`, or the same keys in
// closedloop.config.json) into a VerifierSpec, refusing anything that would make the
// verdict meaningless (no command, a glob that escapes the workspace) with a message that
// says how to fix it.

import { parseHiddenCheck } from "./hidden-check.ts";
import { InvalidVerifierSpecError } from "./invalid-verifier-spec-error.ts";
import { normalizeGlob } from "./match-glob.ts";
import { parseBrowserChecks } from "./parse-browser-checks.ts";
import type { VerifierSpec } from "./types.ts";

export interface VerifierSpecInput {
  verify: string[];
  protect?: string[];
  /** --allow-edit: protected paths the model may change all the same. */
  allowEdit?: string[];
  hidden?: string[];
  timeoutMs?: number;
  /** From `--browser-check` or the config's `browserChecks` (checked here, since JSON can hold anything). */
  browserChecks?: unknown;
}

export { InvalidVerifierSpecError };

export function parseVerifierSpec(input: VerifierSpecInput): VerifierSpec {
  const commands = parseCommands(input.verify, "verify");
  const browserChecks = parseBrowserChecks(input.browserChecks);
  // A browser check is a verifier of its own, so a spec may consist of browser checks alone.
  if (commands.length === 0 && browserChecks.length === 0)
    throw new InvalidVerifierSpecError(
      'no verifier command: give at least one with --verify "<command>" (for example --verify "npm test") ' +
        'or --browser-check "PORT[/path]=SERVE_COMMAND"; the verifier decides when the task is done.',
    );
  const hidden = parseCommands(input.hidden ?? [], "hidden");
  for (const [i, text] of hidden.entries())
    if (parseHiddenCheck(text).command === "")
      throw new InvalidVerifierSpecError(
        `hidden check ${i + 1} has an expected output but no command before "==>": write --hidden 'CMD ==> OUTPUT'.`,
      );
  const protect = [...new Set((input.protect ?? []).map(parseGlob))];
  const spec: VerifierSpec = { commands, protect, hidden };
  if (browserChecks.length > 0) spec.browserChecks = browserChecks;
  const allowEdit = [...new Set((input.allowEdit ?? []).map(parseAllowEdit))];
  if (allowEdit.length > 0) spec.allowEdit = allowEdit;
  if (input.timeoutMs !== undefined) {
    if (!Number.isFinite(input.timeoutMs) || input.timeoutMs <= 0)
      throw new InvalidVerifierSpecError(
        `verifier timeout must be a positive number of milliseconds, got ${String(input.timeoutMs)}.`,
      );
    spec.timeoutMs = Math.round(input.timeoutMs);
  }
  return spec;
}

function parseCommands(value: unknown, key: string): string[] {
  if (!Array.isArray(value))
    throw new InvalidVerifierSpecError(`"${key}" must be a list of shell commands, got ${typeof value}.`);
  return value.map((command, i) => {
    if (typeof command !== "string" || command.trim().length === 0)
      throw new InvalidVerifierSpecError(
        `${key} command ${i + 1} is empty: each --${key} needs a shell command such as "npm test".`,
      );
    return command.trim();
  });
}

function parseGlob(glob: unknown): string {
  if (typeof glob !== "string" || glob.trim().length === 0)
    throw new InvalidVerifierSpecError('a --protect glob is empty: give a path or glob such as "test/**".');
  if (glob.includes("\0"))
    throw new InvalidVerifierSpecError(`--protect glob ${JSON.stringify(glob)} holds a NUL byte.`);
  if (glob.trim().startsWith("/"))
    throw new InvalidVerifierSpecError(
      `--protect ${glob}: globs are relative to the workspace root; write it without the leading "/".`,
    );
  const normalized = normalizeGlob(glob);
  if (normalized.split("/").includes(".."))
    throw new InvalidVerifierSpecError(`--protect ${glob}: a glob may not leave the workspace with "..".`);
  // "." or "**" alone would protect the whole tree: no change could ever count.
  if (normalized === "" || normalized === "." || /^(\*\*\/?)+$/.test(normalized) || normalized === "*")
    throw new InvalidVerifierSpecError(
      `--protect ${glob} protects the whole workspace, so no change could count; name the tests or configs to protect.`,
    );
  return normalized;
}

function parseAllowEdit(glob: unknown): string {
  if (typeof glob !== "string" || glob.trim().length === 0 || glob.includes("\0"))
    throw new InvalidVerifierSpecError('an --allow-edit path is empty: give a path such as "package.json".');
  const normalized = normalizeGlob(glob);
  if (glob.trim().startsWith("/") || normalized.split("/").includes(".."))
    throw new InvalidVerifierSpecError(
      `--allow-edit ${glob}: give a path inside the workspace, relative to its root.`,
    );
  return normalized;
}
