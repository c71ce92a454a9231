// Every command's flags are one table: each flag is one entry that says its value, its help
// line and (for `run`) the closedloop.config.json key it overrides. The parser, the --help
// text, the "did you mean" hint and the config's known keys are all read from it, so a new
// flag is one entry and cannot be missing from --help.
import { parseArgs } from "node:util";
import { UserError } from "../util/index.ts";

export interface FlagSpec {
  /** Placeholder of the value in --help (`CMD`, `DUR`); a flag without one is a boolean. */
  value?: string;
  /** May be given several times; the values are kept in order. */
  multiple?: boolean;
  short?: string;
  /** One or more lines for --help (later lines are indented under the first). */
  help: string;
  /** The closedloop.config.json key this flag overrides, when it has one. */
  configKey?: string;
}

export type FlagTable = Record<string, FlagSpec>;

type ValueOf<S extends FlagSpec> = S extends { value: string }
  ? S extends { multiple: true }
    ? string[]
    : string
  : boolean;

export type FlagValues<T extends FlagTable> = { [K in keyof T]?: ValueOf<T[K]> };

export interface FlagToken {
  kind: string;
  name?: string;
  value?: string | undefined;
}

export interface ParsedFlags<T extends FlagTable> {
  values: FlagValues<T>;
  positionals: string[];
  /** Flags in the order given (for flags whose meaning depends on order). */
  tokens: FlagToken[];
}

/** Flags every run-like command takes. */
export const outputFlags = {
  json: { help: "one JSON event per line on stdout" },
  plain: { help: "plain progress lines even on a terminal" },
  "runs-dir": {
    value: "DIR",
    help: "where trajectories go (default: .closedloop/runs)",
    configKey: "runsDir",
  },
  help: { short: "h", help: "this text" },
} as const satisfies FlagTable;

/**
 * Parses `argv` against `table`. Unknown flags and missing values are UserErrors that name the
 * nearest known flag and the command's --help.
 */
export function parseFlagTable<T extends FlagTable>(
  table: T,
  argv: string[],
  command: string,
  options: { positionals?: boolean } = {},
): ParsedFlags<T> {
  const config: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = {};
  for (const [name, spec] of Object.entries(table)) {
    config[name] = {
      type: spec.value ? "string" : "boolean",
      ...(spec.multiple ? { multiple: true } : {}),
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  try {
    const parsed = parseArgs({
      args: argv,
      options: config,
      allowPositionals: options.positionals ?? false,
      strict: true,
      tokens: true,
    });
    return {
      values: parsed.values as FlagValues<T>,
      positionals: parsed.positionals,
      tokens: parsed.tokens as FlagToken[],
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    if (!code.startsWith("ERR_PARSE_ARGS")) throw error;
    throw new UserError(explainParseError(error as Error, code, Object.keys(table), command));
  }
}

function explainParseError(error: Error, code: string, names: string[], command: string): string {
  const help = `see closedloop ${command} --help`;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const flag = /option '([^']+)'/.exec(error.message)?.[1] ?? "";
    const name = flag.replace(/^-+/, "").split("=")[0]!;
    const near = nearestName(name, names);
    return `unknown flag ${flag}${near ? ` — did you mean --${near}?` : ""} (${help})`;
  }
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL")
    return `${error.message.split("\n")[0]} (${help}; a command to run goes after --)`;
  return `${error.message.split("\n")[0]} (${help})`;
}

/** The known name closest to `name` by edit distance (or by prefix), if any is close enough. */
export function nearestName(name: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of names) {
    const distance = candidate.startsWith(name) && name.length >= 3 ? 1 : editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  // A third of the word may be wrong (a typo, a swapped pair, a missing dash), but not more.
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  // Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps.
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, d[i - 2]![j - 2]! + 1);
      d[i]![j] = value;
    }
  }
  return d[a.length]![b.length]!;
}

/** The options part of a command's --help, one flag per entry, in the table's order. */
export function formatFlagHelp(table: FlagTable): string {
  const lines: string[] = [];
  for (const [name, spec] of Object.entries(table)) {
    const head = `${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.value ? ` ${spec.value}` : ""}`;
    const [first, ...rest] = spec.help.split("\n");
    const repeat = spec.multiple ? " (repeatable)" : "";
    if (head.length < 20) lines.push(`  ${head.padEnd(20)} ${first}${rest.length ? "" : repeat}`);
    else lines.push(`  ${head}`, `  ${" ".repeat(20)} ${first}${rest.length ? "" : repeat}`);
    for (const [i, line] of rest.entries())
      lines.push(`  ${" ".repeat(20)} ${line}${i === rest.length - 1 ? repeat : ""}`);
  }
  return lines.join("\n");
}
