// Flags of the many-runs commands: `--attempts`/`--pick` (on `run` and `batch`) and the task
// defaults a batch gives records that leave them out.
import { resolve } from "node:path";
import { type PickRule, parsePickRule, type TaskDefaults } from "../fleet/index.ts";
import { parseDuration, UserError } from "../util/index.ts";

export const attemptFlags = {
  attempts: { type: "string" },
  pick: { type: "string" },
} as const;

export const fleetFlags = {
  ...attemptFlags,
  model: { type: "string", multiple: true },
  verify: { type: "string", multiple: true },
  protect: { type: "string", multiple: true },
  hidden: { type: "string", multiple: true },
  "max-steps": { type: "string" },
  "max-cost": { type: "string" },
  "max-time": { type: "string" },
  "max-tokens": { type: "string" },
  sandbox: { type: "string" },
  "allow-net": { type: "string", multiple: true },
  "system-prompt": { type: "string" },
} as const;

export function parsePositiveFlag(
  flag: string,
  text: string | undefined,
  integer: boolean,
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)))
    throw new UserError(`--${flag} ${text}: expected a positive ${integer ? "whole number" : "number"}`);
  return value;
}

export function parseAttemptFlags(values: { attempts?: string; pick?: string }): {
  attempts: number;
  pick: PickRule;
} {
  const attempts = parsePositiveFlag("attempts", values.attempts, true) ?? 1;
  if (attempts > 64) throw new UserError(`--attempts ${attempts}: at most 64 attempts per task`);
  const pick = parsePickRule(values.pick ?? "first");
  if (!pick) throw new UserError(`--pick ${values.pick}: choose first or smallest`);
  return { attempts, pick };
}

type FleetValues = {
  attempts?: string;
  pick?: string;
  model?: string[];
  verify?: string[];
  protect?: string[];
  hidden?: string[];
  "max-steps"?: string;
  "max-cost"?: string;
  "max-time"?: string;
  "max-tokens"?: string;
  sandbox?: string;
  "allow-net"?: string[];
  "system-prompt"?: string;
};

export function parseFleetFlags(values: FleetValues) {
  const { attempts, pick } = parseAttemptFlags(values);
  const defaults: TaskDefaults = {};
  if (values.model) defaults.models = values.model;
  if (values.verify) defaults.verify = values.verify;
  if (values.protect) defaults.protect = values.protect;
  if (values.hidden) defaults.hidden = values.hidden;
  const maxSteps = parsePositiveFlag("max-steps", values["max-steps"], true);
  if (maxSteps !== undefined) defaults.maxSteps = maxSteps;
  const maxCost = parsePositiveFlag("max-cost", values["max-cost"], false);
  if (maxCost !== undefined) defaults.maxCostUsd = maxCost;
  const maxTokens = parsePositiveFlag("max-tokens", values["max-tokens"], true);
  if (maxTokens !== undefined) defaults.maxTokens = maxTokens;
  if (values["max-time"]) defaults.maxTimeMs = parseDuration(values["max-time"], "--max-time");
  if (values.sandbox) {
    if (values.sandbox !== "local" && values.sandbox !== "process")
      throw new UserError(`--sandbox ${values.sandbox}: choose local (isolated) or process (no isolation)`);
    defaults.sandbox = values.sandbox;
  }
  if (values["allow-net"]) defaults.allowNet = values["allow-net"];
  if (values["system-prompt"]) defaults.systemPrompt = resolve(values["system-prompt"]);
  return { attempts, pick, defaults, positive: parsePositiveFlag };
}
