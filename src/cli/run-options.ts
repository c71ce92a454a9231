// Flags of `closedloop run` (and the shared ones of demo/resume), merged over
// closedloop.config.json in the workspace. Everything wrong here is a UserError (exit 2).
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { ModelConfig } from "../model/index.ts";
import { UserError } from "../util/index.ts";
import {
  type BrowserCheckFlag,
  type BrowserCheckSpec,
  parseBrowserCheckFlags,
  parseBrowserChecks,
} from "../verify/index.ts";

export type OutputMode = "tty" | "plain" | "json";

export interface FileConfig extends ModelConfig {
  verify?: string[];
  protect?: string[];
  /** Protected paths the model may change all the same (e.g. ["package.json"] to add a dependency). */
  allowEdit?: string[];
  hidden?: string[];
  /** [{"serve": "node server.js", "port": 3000, "path"?: "/", "expectText"?: "…"}] */
  browserChecks?: BrowserCheckSpec[];
  sandbox?: "local" | "process";
  allowNet?: string[];
  maxSteps?: number;
  maxCost?: number;
  maxTokens?: number;
  maxTime?: string;
  runsDir?: string;
  systemPrompt?: string;
}

export interface RunOptions {
  task: string;
  workspace: string;
  verify: string[];
  protect: string[];
  allowEdit: string[];
  hidden: string[];
  browserChecks: BrowserCheckSpec[];
  model?: string;
  sandbox: "local" | "process";
  allowNet: string[];
  maxSteps: number;
  maxCostUsd?: number;
  maxTokens?: number;
  maxTimeMs?: number;
  apply: boolean;
  branch?: string;
  output: OutputMode;
  runsDir: string;
  systemPrompt?: string;
  config: FileConfig;
}

export const runUsage = `usage: closedloop run "<task>" --verify "<cmd>" [options]

  --verify CMD        verifier command; all must pass (repeatable)
  --protect GLOB      path the model may read but whose changes never count (repeatable)
  --allow-edit PATH   let the model change a protected file, e.g. package.json to add a
                      dependency (repeatable); the files that decide how the verifier runs
                      (package.json, lockfiles, .npmrc, runner and tsconfig files, conftest.py,
                      Makefile, …) are protected otherwise
  --hidden CMD        extra verifier command the model never sees (repeatable)
  --browser-check "PORT[/path]=SERVE_CMD"
                      start SERVE_CMD in the clean room; the page on PORT must load in Chromium
                      with no uncaught exception, console error or failed request (repeatable)
  --expect-text TEXT  text the page of the preceding --browser-check must show
  --model ID          e.g. anthropic:claude-sonnet-4-5, openai:gpt-5, ollama:qwen3-coder, scripted:turns.json
  --sandbox NAME      local (isolated, default) or process (NO isolation)
  --allow-net HOST    host the sandbox may reach (repeatable; default none)
  --max-steps N       default 30
  --max-cost USD      hard cap: no model call whose worst case would pass it
  --max-tokens N      input + output tokens over the whole run (checked before each call)
  --max-time DUR      e.g. 90s, 10m, 1h
  --apply             apply the verified patch to the workspace (atomic)
  --branch NAME       commit the verified patch on a new git branch (working tree untouched)
  --workspace DIR     the project (default: current directory)
  --runs-dir DIR      where trajectories go (default: .closedloop/runs)
  --json              one JSON event per line on stdout
  --plain             plain progress lines even on a terminal`;

export const sharedOptions = {
  json: { type: "boolean" },
  plain: { type: "boolean" },
  "runs-dir": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** node:util parseArgs, with its complaints (unknown flag, missing value) turned into user errors. */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    if (!code.startsWith("ERR_PARSE_ARGS")) throw error;
    throw new UserError(`${(error as Error).message} (see --help)`);
  }
}

export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new UserError(`--max-time ${text}: write a duration such as 90s, 10m or 1h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? "s"]!;
  return Math.round(Number(match[1]) * unit);
}

function parsePositive(
  flag: string,
  text: string | number | undefined,
  integer: boolean,
): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value)))
    throw new UserError(`--${flag} ${text}: expected a positive ${integer ? "whole number" : "number"}`);
  return value;
}

export function loadFileConfig(workspace: string): FileConfig {
  const path = join(workspace, "closedloop.config.json");
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, "utf8")) as FileConfig;
  } catch (error) {
    throw new UserError(`${path} is not valid JSON (${(error as Error).message}); fix or remove it`);
  }
}

export function outputMode(flags: { json?: boolean; plain?: boolean }): OutputMode {
  if (flags.json) return "json";
  return !flags.plain && process.stdout.isTTY ? "tty" : "plain";
}

export function parseRunOptions(argv: string[]): RunOptions | "help" {
  const { values, positionals, tokens } = parseFlags({
    args: argv,
    allowPositionals: true,
    // Tokens keep the order of flags, which pairs each --expect-text with its --browser-check.
    tokens: true,
    options: {
      ...sharedOptions,
      verify: { type: "string", multiple: true },
      protect: { type: "string", multiple: true },
      "allow-edit": { type: "string", multiple: true },
      hidden: { type: "string", multiple: true },
      "browser-check": { type: "string", multiple: true },
      "expect-text": { type: "string", multiple: true },
      model: { type: "string" },
      sandbox: { type: "string" },
      "allow-net": { type: "string", multiple: true },
      "max-steps": { type: "string" },
      "max-cost": { type: "string" },
      "max-time": { type: "string" },
      "max-tokens": { type: "string" },
      apply: { type: "boolean" },
      branch: { type: "string" },
      workspace: { type: "string" },
      "system-prompt": { type: "string" },
    },
  });
  if (values.help) return "help";
  const task = positionals.join(" ").trim();
  if (!task) throw new UserError(`no task given: closedloop run "<what to do>" --verify "<command>"`);
  const workspace = resolve(values.workspace ?? process.cwd());
  if (!existsSync(workspace)) throw new UserError(`--workspace ${workspace} does not exist`);
  const config = loadFileConfig(workspace);
  const sandbox = values.sandbox ?? config.sandbox ?? "local";
  if (sandbox !== "local" && sandbox !== "process")
    throw new UserError(`--sandbox ${sandbox}: choose local (isolated) or process (no isolation)`);
  if (values.apply && values.branch)
    throw new UserError(
      "--apply and --branch are alternatives: pick one (or neither, to only get patch.diff)",
    );
  const maxTime = values["max-time"] ?? config.maxTime;
  const options: RunOptions = {
    task,
    workspace,
    verify: values.verify ?? config.verify ?? [],
    protect: values.protect ?? config.protect ?? [],
    allowEdit: values["allow-edit"] ?? config.allowEdit ?? [],
    hidden: values.hidden ?? config.hidden ?? [],
    browserChecks: browserChecksOf(tokens, config),
    sandbox,
    allowNet: values["allow-net"] ?? config.allowNet ?? [],
    maxSteps: parsePositive("max-steps", values["max-steps"] ?? config.maxSteps, true) ?? 30,
    apply: values.apply ?? false,
    output: outputMode(values),
    runsDir: resolve(values["runs-dir"] ?? config.runsDir ?? ".closedloop/runs"),
    config,
  };
  const model = values.model ?? config.model;
  if (model) options.model = model;
  const maxCost = parsePositive("max-cost", values["max-cost"] ?? config.maxCost, false);
  if (maxCost !== undefined) options.maxCostUsd = maxCost;
  if (maxTime !== undefined) options.maxTimeMs = parseDuration(maxTime);
  const maxTokens = parsePositive("max-tokens", values["max-tokens"] ?? config.maxTokens, true);
  if (maxTokens !== undefined) options.maxTokens = maxTokens;
  if (values.branch) options.branch = values.branch;
  const systemPrompt = values["system-prompt"] ?? config.systemPrompt;
  if (systemPrompt) options.systemPrompt = resolve(systemPrompt);
  return options;
}

/** `--browser-check`/`--expect-text` in the order given; without them, the config's `browserChecks`. */
function browserChecksOf(
  tokens: ReadonlyArray<{ kind: string; name?: string; value?: string | undefined }>,
  config: FileConfig,
): BrowserCheckSpec[] {
  const flags = tokens.flatMap((token): BrowserCheckFlag[] =>
    token.kind === "option" &&
    (token.name === "browser-check" || token.name === "expect-text") &&
    token.value !== undefined
      ? [{ flag: token.name, value: token.value }]
      : [],
  );
  return flags.length > 0 ? parseBrowserCheckFlags(flags) : parseBrowserChecks(config.browserChecks);
}
