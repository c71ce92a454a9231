// Flags of `closedloop run`, merged over closedloop.config.json in the workspace. The flag
// table below is the one list: --help, the parser, "did you mean" and the config's known keys
// are read from it. A new flag is one entry (with `configKey` when the config may set it);
// a config key no flag sets goes in `configOnlyKeys`. Everything wrong is a UserError (exit 2).
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { ModelConfig } from "../model/index.ts";
import type { BackendName, SandboxLimits } from "../sandbox/index.ts";
import { UserError } from "../util/index.ts";
import {
  type BrowserCheckFlag,
  type BrowserCheckSpec,
  parseBrowserCheckFlags,
  parseBrowserChecks,
  type WitnessOptions,
} from "../verify/index.ts";
import {
  configLabel,
  createPickValue,
  type FileConfig,
  knownConfigKeys,
  loadFileConfig,
} from "./file-config.ts";
import { type FlagTable, type FlagToken, formatFlagHelp, outputFlags, parseFlagTable } from "./flag-table.ts";
import {
  listOf,
  type PickedValue,
  parseDurationValue,
  parseSandboxKnobs,
  sandboxFlags,
  textOf,
} from "./sandbox-flags.ts";
import { parseWitnessOptions, witnessFlags } from "./witness-options.ts";

export type OutputMode = "tty" | "plain" | "json";
export type { FileConfig };

export const runFlags = {
  verify: { value: "CMD", multiple: true, help: "verifier command; all must pass", configKey: "verify" },
  protect: {
    value: "GLOB",
    multiple: true,
    help: "path the model may read but whose changes never count",
    configKey: "protect",
  },
  "allow-edit": {
    value: "PATH",
    multiple: true,
    help: "let the model change a protected file, e.g. package.json to add a dependency;\nthe files that decide how the verifier runs (package.json, lockfiles, .npmrc,\nrunner and tsconfig files, conftest.py, Makefile, …) are protected otherwise",
    configKey: "allowEdit",
  },
  hidden: {
    value: "CMD",
    multiple: true,
    help: "extra verifier command the model never sees; 'CMD ==> OUTPUT' also needs that stdout,\ncompared on the host (the code under test can read any command line in the sandbox)",
    configKey: "hidden",
  },
  "browser-check": {
    value: '"PORT[/path]=SERVE_CMD"',
    multiple: true,
    help: "start SERVE_CMD in the clean room; the page on PORT must load in Chromium\nwith no uncaught exception, console error or failed request",
  },
  "expect-text": {
    value: "TEXT",
    multiple: true,
    help: "text the page of the preceding --browser-check must show",
  },
  "verify-timeout": {
    value: "DUR",
    help: "wall time of each verifier command (default: --timeout, 120s)",
    configKey: "verifyTimeout",
  },
  model: {
    value: "ID",
    multiple: true,
    help: "e.g. anthropic:claude-sonnet-4-5, openai:gpt-5, ollama:qwen3-coder, scripted:turns.json\n(several with --attempts: the attempts take them in turn)",
    configKey: "model",
  },
  attempts: {
    value: "N",
    help: "best-of-n: N attempts in parallel sandboxes (default 1, or one per --model)",
  },
  pick: {
    value: "RULE",
    help: "first (default: the first verified attempt wins, the rest are cancelled)\nor smallest (wait for all, hand over the smallest verified patch)",
  },
  "system-prompt": {
    value: "FILE",
    help: "system prompt to use instead of prompts/system.md",
    configKey: "systemPrompt",
  },
  ...witnessFlags,
  ...sandboxFlags,
  "max-steps": { value: "N", help: "model turns (default 30)", configKey: "maxSteps" },
  "max-cost": {
    value: "USD",
    help: "hard cap: no model call whose worst case would pass it",
    configKey: "maxCost",
  },
  "max-tokens": {
    value: "N",
    help: "input + output tokens over the whole run (checked before each call)",
    configKey: "maxTokens",
  },
  "max-time": { value: "DUR", help: "wall time of the whole run, e.g. 90s, 10m, 1h", configKey: "maxTime" },
  apply: { help: "apply the verified patch to the workspace (atomic)" },
  branch: { value: "NAME", help: "commit the verified patch on a new git branch (working tree untouched)" },
  workspace: { value: "DIR", help: "the project (default: current directory)" },
  ...outputFlags,
} as const satisfies FlagTable;

/** closedloop.config.json keys that no flag sets (their values are checked where they are used). */
export const configOnlyKeys = [
  /** [{"serve": "node server.js", "port": 3000, "path"?: "/", "expectText"?: "…"}] */
  "browserChecks",
  "prices",
  "contextWindows",
] as const;

export const runConfigKeys = knownConfigKeys(runFlags, configOnlyKeys);

export interface RunOptions {
  task: string;
  workspace: string;
  verify: string[];
  protect: string[];
  allowEdit: string[];
  hidden: string[];
  browserChecks: BrowserCheckSpec[];
  verifyTimeoutMs?: number;
  model?: string;
  /** Every --model given (best-of-n spreads its attempts over them). */
  models: string[];
  /** --attempts: best-of-n when above 1. */
  attempts: number;
  pick: "first" | "smallest";
  modelConfig?: ModelConfig;
  sandbox: BackendName;
  allowNet: string[];
  allowHostPorts: number[];
  env: string[];
  limits: Partial<SandboxLimits>;
  maxSteps: number;
  maxCostUsd?: number;
  maxTokens?: number;
  maxTimeMs?: number;
  apply: boolean;
  branch?: string;
  output: OutputMode;
  runsDir: string;
  systemPrompt?: string;
  /** The baseline witness: fail-to-pass and pass-to-pass lists, confirming runs. */
  witness: Required<WitnessOptions>;
  config: FileConfig;
}

export const runUsage = `usage: closedloop run "<task>" --verify "<cmd>" [options]

Flags override the same keys in closedloop.config.json (named in camelCase: --max-steps is maxSteps).

${formatFlagHelp(runFlags)}`;

function parsePositive(picked: PickedValue | undefined, integer: boolean): number | undefined {
  if (picked === undefined) return undefined;
  const text = textOf(picked);
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)) || text.trim() === "")
    throw new UserError(
      `${picked.label} ${text}: expected a positive ${integer ? "whole number" : "number"}`,
    );
  return value;
}

export function outputMode(flags: { json?: boolean; plain?: boolean }): OutputMode {
  if (flags.json) return "json";
  return !flags.plain && process.stdout.isTTY ? "tty" : "plain";
}

export function parseRunOptions(argv: string[]): RunOptions | "help" {
  const { values, positionals, tokens } = parseFlagTable(runFlags, argv, "run", { positionals: true });
  if (values.help) return "help";
  const task = positionals.join(" ").trim();
  if (!task) throw new UserError(`no task given: closedloop run "<what to do>" --verify "<command>"`);
  const workspace = resolve(values.workspace ?? process.cwd());
  if (!existsSync(workspace)) throw new UserError(`--workspace ${workspace} does not exist`);
  const config = loadFileConfig(workspace, runConfigKeys);
  const pick = createPickValue(runFlags, values, config);
  if (values.apply && values.branch)
    throw new UserError(
      "--apply and --branch are alternatives: pick one (or neither, to only get patch.diff)",
    );
  const knobs = parseSandboxKnobs(pick);
  const models = listOf(pick("model"));
  const attempts = parsePositive(pick("attempts"), true) ?? Math.max(1, values.model?.length ?? 1);
  const pickRule = values.pick ?? "first";
  if (pickRule !== "first" && pickRule !== "smallest")
    throw new UserError(`--pick ${pickRule}: choose first or smallest`);
  const options: RunOptions = {
    task,
    workspace,
    verify: listOf(pick("verify")),
    protect: listOf(pick("protect")),
    allowEdit: listOf(pick("allow-edit")),
    hidden: listOf(pick("hidden")),
    browserChecks: browserChecksOf(tokens, config),
    models,
    attempts,
    pick: pickRule,
    sandbox: knobs.backend,
    allowNet: knobs.allowNet,
    allowHostPorts: knobs.allowHostPorts,
    env: knobs.env,
    limits: knobs.limits,
    maxSteps: parsePositive(pick("max-steps"), true) ?? 30,
    apply: values.apply ?? false,
    output: outputMode(values),
    runsDir: runsDirOf(pick("runs-dir"), workspace),
    witness: parseWitnessOptions(pick),
    config,
  };
  const verifyTimeout = pick("verify-timeout");
  if (verifyTimeout) {
    options.verifyTimeoutMs = parseDurationValue(verifyTimeout);
    if (options.verifyTimeoutMs <= 0) throw new UserError(`${verifyTimeout.label} must be more than 0`);
  }
  if (models[0]) options.model = models[0];
  const modelConfig = modelConfigOf(config);
  if (modelConfig) options.modelConfig = modelConfig;
  const maxCost = parsePositive(pick("max-cost"), false);
  if (maxCost !== undefined) options.maxCostUsd = maxCost;
  const maxTime = pick("max-time");
  if (maxTime) options.maxTimeMs = parseDurationValue(maxTime);
  const maxTokens = parsePositive(pick("max-tokens"), true);
  if (maxTokens !== undefined) options.maxTokens = maxTokens;
  if (values.branch) options.branch = values.branch;
  const systemPrompt = textOrUndefined(pick("system-prompt"));
  if (systemPrompt) options.systemPrompt = resolve(systemPrompt);
  return options;
}

/**
 * The runs folder belongs to the workspace (`--workspace DIR` from elsewhere writes to
 * DIR/.closedloop/runs); a --runs-dir typed on the command line is relative to where it was typed.
 */
function runsDirOf(picked: PickedValue | undefined, workspace: string): string {
  if (picked === undefined) return resolve(workspace, ".closedloop/runs");
  return picked.label.startsWith("--") ? resolve(textOf(picked)) : resolve(workspace, textOf(picked));
}

function textOrUndefined(picked: PickedValue | undefined): string | undefined {
  return picked === undefined ? undefined : textOf(picked);
}

function modelConfigOf(config: FileConfig): ModelConfig | undefined {
  const out: ModelConfig = {};
  for (const key of ["prices", "contextWindows"] as const) {
    const value = config[key];
    if (value === undefined) continue;
    if (typeof value !== "object" || value === null || Array.isArray(value))
      throw new UserError(`${configLabel(key)} must be an object keyed "provider:model"`);
    out[key] = value as never;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** `--browser-check`/`--expect-text` in the order given; without them, the config's `browserChecks`. */
function browserChecksOf(tokens: FlagToken[], config: FileConfig): BrowserCheckSpec[] {
  const flags = tokens.flatMap((token): BrowserCheckFlag[] =>
    token.kind === "option" &&
    (token.name === "browser-check" || token.name === "expect-text") &&
    token.value !== undefined
      ? [{ flag: token.name, value: token.value }]
      : [],
  );
  return flags.length > 0 ? parseBrowserCheckFlags(flags) : parseBrowserChecks(config.browserChecks);
}
