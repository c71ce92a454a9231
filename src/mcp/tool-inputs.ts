// Turning a client's arguments into what the sandbox and verifier take, with a clear tool
// error for anything wrong: a workspace that is missing or not a folder, a size or duration
// that does not parse, a network rule the sandbox would refuse.
import { realpathSync, statSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { parseNetRules, type SandboxLimits } from "../sandbox/index.ts";
import { parseDuration, parseSize, UserError } from "../util/index.ts";
import { McpToolError } from "./tool-result.ts";

/** An existing folder, as its real absolute path (relative paths resolve against the server's cwd). */
export function resolveWorkspace(path: string, cwd: string): string {
  const full = isAbsolute(path) ? path : resolve(cwd, path);
  let real: string;
  try {
    real = realpathSync(full);
  } catch {
    throw new McpToolError(`workspace ${full} does not exist: pass the absolute path of a project folder`);
  }
  if (!statSync(real).isDirectory()) throw new McpToolError(`workspace ${full} is not a folder`);
  return real;
}

export interface LimitsInput {
  memory?: string | undefined;
  disk?: string | undefined;
  output?: string | undefined;
  timeout?: string | undefined;
  processes?: number | undefined;
  cpus?: number | undefined;
}

export function parseLimits(input: LimitsInput | undefined): Partial<SandboxLimits> {
  const limits: Partial<SandboxLimits> = {};
  if (!input) return limits;
  try {
    if (input.memory !== undefined) limits.memoryBytes = parseSize(input.memory, "limits.memory");
    if (input.disk !== undefined) limits.diskBytes = parseSize(input.disk, "limits.disk");
    if (input.output !== undefined) limits.outputBytes = parseSize(input.output, "limits.output");
    if (input.timeout !== undefined) limits.timeoutMs = parseDuration(input.timeout, "limits.timeout");
  } catch (error) {
    if (UserError.isInstance(error)) throw new McpToolError(error.message);
    throw error;
  }
  if (input.processes !== undefined) limits.maxProcesses = input.processes;
  if (input.cpus !== undefined) limits.cpuCores = input.cpus;
  for (const [name, value] of Object.entries(limits))
    if (!(value > 0)) throw new McpToolError(`limits: ${name} must be positive (got ${value})`);
  return limits;
}

/** Checks the rules now, so a bad one is this call's error and not a sandbox that fails later. */
export function checkNetRules(rules: string[]): string[] {
  try {
    parseNetRules(rules);
  } catch (error) {
    if (UserError.isInstance(error)) throw new McpToolError(`allowNet: ${error.message}`);
    throw error;
  }
  return rules;
}

export function parseTimeout(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseDuration(text, what);
  } catch (error) {
    if (UserError.isInstance(error)) throw new McpToolError(error.message);
    throw error;
  }
}
