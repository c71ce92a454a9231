// closedloop.config.json: the project's defaults for `run`. A key nobody reads is an error
// (a typo such as "maxStep" would otherwise be ignored in silence), and a bad value names the
// key it came from, since the user has to fix the file, not a flag.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../util/index.ts";
import { type FlagTable, nearestName } from "./flag-table.ts";
import type { PickedValue, PickValue } from "./sandbox-flags.ts";

export const configFileName = "closedloop.config.json";

export type FileConfig = Record<string, unknown>;

/** Every key the config may hold: those of the flags that have one, plus `extraKeys`. */
export function knownConfigKeys(table: FlagTable, extraKeys: readonly string[]): string[] {
  const keys = Object.values(table).flatMap((spec) => (spec.configKey ? [spec.configKey] : []));
  return [...new Set([...keys, ...extraKeys, "$schema"])];
}

export function loadFileConfig(workspace: string, knownKeys: readonly string[]): FileConfig {
  const path = join(workspace, configFileName);
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new UserError(`${path} is not valid JSON (${(error as Error).message}); fix or remove it`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new UserError(`${path} must hold a JSON object such as {"verify": ["npm test"]}`);
  for (const key of Object.keys(parsed)) {
    if (knownKeys.includes(key)) continue;
    const near = nearestName(key, [...knownKeys]);
    throw new UserError(
      `${path}: unknown key "${key}"${near ? ` — did you mean "${near}"?` : ""} (known keys: ${knownKeys.filter((k) => k !== "$schema").join(", ")})`,
    );
  }
  return parsed as FileConfig;
}

/** How a config key is named in error messages. */
export function configLabel(key: string): string {
  return `"${key}" in ${configFileName}`;
}

/** Reads a flag, else the config key the table gives it; each value comes with its label. */
export function createPickValue(
  table: FlagTable,
  values: Record<string, unknown>,
  config: FileConfig,
): PickValue {
  return (flag: string): PickedValue | undefined => {
    const given = values[flag];
    if (given !== undefined && !(Array.isArray(given) && given.length === 0))
      return { value: given, label: `--${flag}` };
    const key = table[flag]?.configKey;
    if (key !== undefined && config[key] !== undefined)
      return { value: config[key], label: configLabel(key) };
    return undefined;
  };
}
