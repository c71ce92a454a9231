// Flags of `closedloop batch`: the batch's own, plus the run flags that give records their
// defaults. Those are read per task workspace, flag first, then that workspace's
// closedloop.config.json (through the same createPickValue as `run`), so a batch over several
// projects honours each one's config.
import { resolve } from "node:path";
import type { TaskDefaults } from "../fleet/index.ts";
import { UserError } from "../util/index.ts";
import { createPickValue, loadFileConfig } from "./file-config.ts";
import { type FlagTable, type FlagValues, outputFlags } from "./flag-table.ts";
import { runConfigKeys, runFlags } from "./run-options.ts";
import { listOf, parseDurationValue, parseSandboxKnobs, sandboxFlags, textOf } from "./sandbox-flags.ts";

export const batchFlags = {
  out: {
    value: "DIR",
    help: "results.jsonl, summary.json, runs/, attempts/ and workspaces/ go here (required)",
  },
  concurrency: {
    value: "N",
    help: "attempts running at once in this process (default 2);\nwith --queue: tasks in flight at once (default 64)",
  },
  attempts: runFlags.attempts,
  pick: runFlags.pick,
  redo: { help: "run every task again (the old results.jsonl is kept as results.gN.jsonl)" },
  "max-total-cost": { value: "USD", help: "start no new task once the batch has spent this much" },
  queue: {
    value: "redis://HOST:PORT",
    help: "put attempts on a BullMQ queue in Redis; 'closedloop worker' processes run them",
  },
  verify: runFlags.verify,
  protect: runFlags.protect,
  "allow-edit": runFlags["allow-edit"],
  hidden: runFlags.hidden,
  "verify-timeout": runFlags["verify-timeout"],
  model: runFlags.model,
  "system-prompt": runFlags["system-prompt"],
  ...sandboxFlags,
  "max-steps": runFlags["max-steps"],
  "max-cost": runFlags["max-cost"],
  "max-tokens": runFlags["max-tokens"],
  "max-time": runFlags["max-time"],
  // Not --runs-dir: a batch's runs live in DIR/runs, where every worker finds them.
  json: { help: "one results.jsonl line per finished task on stdout" },
  plain: outputFlags.plain,
  help: outputFlags.help,
} as const satisfies FlagTable;

export function parsePositiveFlag(
  flag: string,
  text: string | undefined,
  integer: boolean,
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)) || text.trim() === "")
    throw new UserError(`--${flag} ${text}: expected a positive ${integer ? "whole number" : "number"}`);
  return value;
}

export function parsePick(text: string | undefined): "first" | "smallest" {
  const pick = text ?? "first";
  if (pick !== "first" && pick !== "smallest")
    throw new UserError(`--pick ${pick}: choose first or smallest`);
  return pick;
}

/**
 * The defaults of tasks in `workspace`: the batch's flags over that workspace's config file
 * (without a workspace: the flags alone, to check them once before any task starts).
 */
export function taskDefaultsFor(values: FlagValues<typeof batchFlags>, workspace?: string): TaskDefaults {
  const config = workspace ? loadFileConfig(workspace, runConfigKeys) : {};
  const pick = createPickValue(batchFlags, values, config);
  const number = (flag: string, integer: boolean) => {
    const picked = pick(flag);
    return picked === undefined ? undefined : parsePositiveFlag(flag, textOf(picked), integer);
  };
  const knobs = parseSandboxKnobs(pick);
  const out: TaskDefaults = { sandbox: knobs.backend, allowNet: knobs.allowNet };
  const lists = {
    verify: "verify",
    protect: "protect",
    allowEdit: "allow-edit",
    hidden: "hidden",
    models: "model",
  } as const;
  for (const [key, flag] of Object.entries(lists)) {
    const list = listOf(pick(flag));
    if (list.length > 0) out[key as keyof typeof lists] = list;
  }
  const maxSteps = number("max-steps", true);
  if (maxSteps !== undefined) out.maxSteps = maxSteps;
  const maxCost = number("max-cost", false);
  if (maxCost !== undefined) out.maxCostUsd = maxCost;
  const maxTokens = number("max-tokens", true);
  if (maxTokens !== undefined) out.maxTokens = maxTokens;
  const maxTime = pick("max-time");
  if (maxTime) out.maxTimeMs = parseDurationValue(maxTime);
  const verifyTimeout = pick("verify-timeout");
  if (verifyTimeout) out.verifyTimeoutMs = parseDurationValue(verifyTimeout);
  const systemPrompt = pick("system-prompt");
  if (systemPrompt) {
    // A flag is relative to where the batch runs; a config key to its workspace.
    const base = systemPrompt.label.startsWith("--") || !workspace ? process.cwd() : workspace;
    out.systemPrompt = resolve(base, textOf(systemPrompt));
  }
  const modelConfig = Object.fromEntries(
    (["prices", "contextWindows"] as const).flatMap((key) =>
      config[key] !== undefined ? [[key, config[key]]] : [],
    ),
  );
  out.launchExtras = {
    ...(knobs.allowHostPorts.length > 0 ? { allowHostPorts: knobs.allowHostPorts } : {}),
    ...(knobs.env.length > 0 ? { env: knobs.env } : {}),
    ...(Object.keys(knobs.limits).length > 0 ? { limits: knobs.limits } : {}),
    ...(Object.keys(modelConfig).length > 0 ? { modelConfig } : {}),
  };
  return out;
}
