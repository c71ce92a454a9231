// One line of a batch's TASKS.jsonl, checked field by field. A bad line is a problem with its
// line number, never a crash: the batch reports it, skips it, and runs the rest. Names follow
// SWE-bench where it has one (instance_id, base_commit, problem_statement, FAIL_TO_PASS).
import { isAbsolute, resolve } from "node:path";
import { parseDuration } from "../util/index.ts";

export interface TaskRecord {
  /** Line in the tasks file (1-based), for messages. */
  line: number;
  instanceId: string;
  task: string;
  /** A local project folder, used as the read-only base of every sandbox … */
  workspace?: string;
  /** … or a git repository (local path or file:// URL) checked out at base_commit. */
  repo?: string;
  baseCommit?: string;
  verify?: string[];
  protect?: string[];
  /** Protected paths the model may change anyway (as `run --allow-edit`). */
  allowEdit?: string[];
  hidden?: string[];
  failToPass?: string[];
  passToPass?: string[];
  maxSteps?: number;
  maxCostUsd?: number;
  maxTimeMs?: number;
  model?: string;
}

export interface BadRecord {
  line: number;
  message: string;
}

export interface ParsedTaskFile {
  tasks: TaskRecord[];
  problems: BadRecord[];
}

/** Instance ids name files and run ids, so they keep to a safe alphabet (SWE-bench's ids do). */
const instanceIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$/;

const knownFields = new Set([
  "instance_id",
  "task",
  "problem_statement",
  "workspace",
  "repo",
  "base_commit",
  "verify",
  "protect",
  "allow_edit",
  "hidden",
  "fail_to_pass",
  "pass_to_pass",
  "FAIL_TO_PASS",
  "PASS_TO_PASS",
  "max_steps",
  "max_cost",
  "max_time",
  "model",
]);

class RecordError extends Error {}

function stringList(record: Record<string, unknown>, field: string): string[] | undefined {
  let value = record[field];
  if (value === undefined) return undefined;
  // SWE-bench's datasets keep FAIL_TO_PASS / PASS_TO_PASS as JSON text of a list.
  if (typeof value === "string" && value.trim().startsWith("[")) {
    try {
      value = JSON.parse(value);
    } catch {
      throw new RecordError(`${field} is a string that is not a JSON list`);
    }
  }
  if (typeof value === "string") return [value];
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string" || item.trim() === ""))
    throw new RecordError(`${field} must be a list of non-empty strings`);
  return value as string[];
}

function positive(record: Record<string, unknown>, field: string, integer: boolean): number | undefined {
  const value = record[field];
  if (value === undefined) return undefined;
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value <= 0 ||
    (integer && !Number.isInteger(value))
  )
    throw new RecordError(`${field} must be a positive ${integer ? "whole number" : "number"}`);
  return value;
}

function text(record: Record<string, unknown>, field: string): string | undefined {
  const value = record[field];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "")
    throw new RecordError(`${field} must be a non-empty string`);
  return value;
}

/** Reads one record; relative paths are taken from `baseDir` (the tasks file's folder). */
export function parseTaskRecord(value: unknown, line: number, baseDir: string): TaskRecord {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new RecordError("a task record must be a JSON object");
  const record = value as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !knownFields.has(key));
  if (unknown.length > 0)
    throw new RecordError(`unknown field${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")}`);
  const instanceId = text(record, "instance_id");
  if (!instanceId) throw new RecordError("instance_id is missing");
  if (!instanceIdPattern.test(instanceId))
    throw new RecordError(`instance_id '${instanceId}' may use only letters, digits, '.', '_' and '-'`);
  const task = text(record, "task") ?? text(record, "problem_statement");
  if (!task) throw new RecordError("task (or problem_statement) is missing");
  const workspace = text(record, "workspace");
  const repo = text(record, "repo");
  const baseCommit = text(record, "base_commit");
  if (workspace && repo) throw new RecordError("give workspace or repo + base_commit, not both");
  if (!workspace && !repo) throw new RecordError("workspace (a folder) or repo + base_commit is missing");
  if (repo && !baseCommit) throw new RecordError("repo needs base_commit");
  if (baseCommit && !repo) throw new RecordError("base_commit needs repo");
  if (repo && /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) && !repo.startsWith("file://"))
    throw new RecordError(`repo ${repo}: only a local path or a file:// URL (batches use no network)`);
  if (repo && /^[^/]+@[^/]+:/.test(repo))
    throw new RecordError(`repo ${repo}: only a local path or a file:// URL (batches use no network)`);
  const maxTime = record.max_time;
  let maxTimeMs: number | undefined;
  if (maxTime !== undefined) {
    if (typeof maxTime !== "string" && typeof maxTime !== "number")
      throw new RecordError("max_time must be a duration such as 90s or 10m");
    try {
      maxTimeMs = parseDuration(String(maxTime), "max_time");
    } catch (error) {
      throw new RecordError((error as Error).message);
    }
  }
  const out: TaskRecord = { line, instanceId, task };
  if (workspace) out.workspace = isAbsolute(workspace) ? workspace : resolve(baseDir, workspace);
  if (repo) out.repo = repo.startsWith("file://") || isAbsolute(repo) ? repo : resolve(baseDir, repo);
  if (baseCommit) out.baseCommit = baseCommit;
  const lists = {
    verify: stringList(record, "verify"),
    protect: stringList(record, "protect"),
    allowEdit: stringList(record, "allow_edit"),
    hidden: stringList(record, "hidden"),
    failToPass: stringList(record, "fail_to_pass") ?? stringList(record, "FAIL_TO_PASS"),
    passToPass: stringList(record, "pass_to_pass") ?? stringList(record, "PASS_TO_PASS"),
  };
  for (const [key, list] of Object.entries(lists)) if (list) out[key as keyof typeof lists] = list;
  const maxSteps = positive(record, "max_steps", true);
  if (maxSteps !== undefined) out.maxSteps = maxSteps;
  const maxCost = positive(record, "max_cost", false);
  if (maxCost !== undefined) out.maxCostUsd = maxCost;
  if (maxTimeMs !== undefined) out.maxTimeMs = maxTimeMs;
  const model = text(record, "model");
  if (model) out.model = model;
  return out;
}

/** Every record of a JSONL tasks file; blank lines are skipped, duplicates are problems. */
export function parseTaskFile(content: string, baseDir: string): ParsedTaskFile {
  const tasks: TaskRecord[] = [];
  const problems: BadRecord[] = [];
  const seen = new Map<string, number>();
  content.split("\n").forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === "") return;
    try {
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch (error) {
        throw new RecordError(`not valid JSON (${(error as Error).message})`);
      }
      const task = parseTaskRecord(value, line, baseDir);
      const first = seen.get(task.instanceId);
      if (first !== undefined) throw new RecordError(`instance_id ${task.instanceId} repeats line ${first}`);
      seen.set(task.instanceId, line);
      tasks.push(task);
    } catch (error) {
      if (!(error instanceof RecordError)) throw error;
      problems.push({ line, message: error.message });
    }
  });
  return { tasks, problems };
}
