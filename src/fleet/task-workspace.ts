// A task's base tree. A `workspace` record is used as it is (sandboxes only ever see it
// read-only). A `repo` + `base_commit` record is cloned from a local path or file:// URL — no
// network — into `<out>/workspaces/<instance>`, a fixed place, so a worker that resumes the
// task finds the same tree. The clone is made beside it and renamed into place, so a second
// batch or worker racing for the same task never sees half a checkout.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TaskRecord } from "./task-record.ts";

const run = promisify(execFile);

export class TaskSetupError extends Error {
  override readonly name = "TaskSetupError";
}

async function git(args: string[], cwd?: string): Promise<string> {
  try {
    // GIT_ALLOW_PROTOCOL keeps a crafted repo (submodules, alternates) from reaching a network.
    const env = { ...process.env, GIT_ALLOW_PROTOCOL: "file", GIT_TERMINAL_PROMPT: "0" };
    const { stdout } = await run("git", args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new TaskSetupError((e.stderr || e.message).trim().split("\n").slice(-2).join(" "));
  }
}

export async function prepareTaskWorkspace(task: TaskRecord, outDir: string): Promise<string> {
  if (task.workspace) {
    if (!existsSync(task.workspace) || !statSync(task.workspace).isDirectory())
      throw new TaskSetupError(`workspace ${task.workspace} is not a folder`);
    return task.workspace;
  }
  const repo = task.repo!;
  const commit = task.baseCommit!;
  const target = join(outDir, "workspaces", task.instanceId);
  if (existsSync(join(target, ".git"))) {
    const head = (await git(["rev-parse", "HEAD"], target)).trim();
    const wanted = (await git(["rev-parse", `${commit}^{commit}`], target).catch(() => "")).trim();
    if (head !== wanted)
      throw new TaskSetupError(
        `${target} holds commit ${head.slice(0, 12)}, not base_commit ${commit}; remove it to check out again`,
      );
    return target;
  }
  const source = repo.startsWith("file://") ? repo.slice("file://".length) : repo;
  if (!existsSync(source)) throw new TaskSetupError(`repo ${repo} does not exist`);
  mkdirSync(join(outDir, "workspaces"), { recursive: true });
  const temp = `${target}.tmp-${process.pid}-${Date.now()}`;
  try {
    await git(["clone", "--quiet", "--local", "--no-checkout", "--", source, temp]);
    await git(["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", commit], temp);
    try {
      renameSync(temp, target);
    } catch (error) {
      // Another process put the same checkout in place first; theirs is as good as ours.
      const code = (error as NodeJS.ErrnoException).code;
      if ((code !== "ENOTEMPTY" && code !== "EEXIST") || !existsSync(join(target, ".git"))) throw error;
    }
  } catch (error) {
    if (error instanceof TaskSetupError)
      throw new TaskSetupError(`checking out ${repo} at ${commit}: ${error.message}`);
    throw error;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
  return target;
}
