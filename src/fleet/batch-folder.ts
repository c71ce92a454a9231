// A batch's output folder: one batch process at a time (a lock file holding its pid, taken
// over when that process is gone), and its generation, which `--redo` moves on so the new
// attempts get new run ids while the old results are kept beside the new ones.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../store/index.ts";
import { isProcessAlive, UserError } from "../util/index.ts";
import { resultsPath } from "./batch-results.ts";

interface FolderState {
  generation: number;
}

export interface BatchFolder {
  outDir: string;
  generation: number;
  release(): void;
}

function lock(outDir: string): () => void {
  const path = join(outDir, "batch.lock");
  for (let tries = 0; tries < 2; tries++) {
    try {
      writeFileSync(path, String(process.pid), { flag: "wx" });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(path, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid))
        throw new UserError(
          `another batch (pid ${pid}) is writing to ${outDir}; wait for it, or give this one another --out`,
        );
      rmSync(path, { force: true }); // its process is gone: the lock is stale
    }
  }
  throw new UserError(`could not lock ${outDir}: another batch keeps taking it`);
}

export function openBatchFolder(outDir: string, redo: boolean): BatchFolder {
  mkdirSync(outDir, { recursive: true });
  const release = lock(outDir);
  const statePath = join(outDir, "batch.json");
  let state: FolderState = { generation: 1 };
  const existed = existsSync(statePath);
  if (existed) {
    try {
      state = JSON.parse(readFileSync(statePath, "utf8")) as FolderState;
    } catch {
      release();
      throw new UserError(
        `${statePath} is not valid JSON; remove it only if you mean to start this batch over`,
      );
    }
  }
  if (redo && existed) {
    if (existsSync(resultsPath(outDir)))
      renameSync(resultsPath(outDir), join(outDir, `results.g${state.generation}.jsonl`));
    state = { generation: state.generation + 1 };
  }
  writeFileAtomic(statePath, `${JSON.stringify(state)}\n`);
  return { outDir, generation: state.generation, release };
}
