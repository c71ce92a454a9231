// Where runs live: `<root>/<id>/events.jsonl` plus the result files, and `<root>/index.jsonl`,
// an append-only index with one line when a run starts and one when it ends.
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { UserError } from "../util/index.ts";
import { writeFileAtomic } from "./atomic-write.ts";
import { excludeFromGit } from "./git-exclude.ts";
import { cutTornTail, type ReadEventsResult, RunLog, readEventLog, type StoredEvent } from "./run-log.ts";

export const defaultRunsDir = ".closedloop/runs";

export interface RunIndexEntry {
  id: string;
  at: number;
  task?: string;
  status: "started" | "finished";
  outcome?: string;
}

export class RunNotFoundError extends UserError {
  override readonly name = "RunNotFoundError";
}

export class RunStore {
  readonly root: string;

  constructor(root: string = defaultRunsDir) {
    this.root = resolve(root);
  }

  /** A sortable, collision-resistant id: UTC time plus random hex. */
  static createRunId(now = new Date()): string {
    const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
    return `${stamp}-${randomBytes(3).toString("hex")}`;
  }

  runDir(id: string): string {
    if (!/^[A-Za-z0-9._-]+$/.test(id) || id.startsWith("."))
      throw new RunNotFoundError(`'${id}' is not a run id`);
    return join(this.root, id);
  }

  /** Creates the run's directory and opens its event log for appending. */
  create(id: string): RunLog {
    const dir = this.runDir(id);
    mkdirSync(dir, { recursive: true });
    excludeFromGit(this.root);
    return new RunLog(join(dir, "events.jsonl"));
  }

  /** Opens an existing run's log to append more events (resume). */
  reopen(id: string): RunLog {
    this.requireRun(id);
    const path = join(this.runDir(id), "events.jsonl");
    cutTornTail(path);
    return new RunLog(path);
  }

  readEvents<E extends StoredEvent = StoredEvent>(id: string): ReadEventsResult<E> {
    this.requireRun(id);
    return readEventLog<E>(join(this.runDir(id), "events.jsonl"));
  }

  writeResult(id: string, name: "patch.diff" | "report.json", content: string): string {
    const path = join(this.runDir(id), name);
    writeFileAtomic(path, content);
    return path;
  }

  readResult(id: string, name: "patch.diff" | "report.json"): string | undefined {
    const path = join(this.runDir(id), name);
    return existsSync(path) ? readFileSync(path, "utf8") : undefined;
  }

  index(entry: RunIndexEntry): void {
    mkdirSync(this.root, { recursive: true });
    appendFileSync(join(this.root, "index.jsonl"), `${JSON.stringify(entry)}\n`);
  }

  /** Every run, newest first, with its latest index status (runs without index lines included). */
  list(): RunIndexEntry[] {
    const byId = new Map<string, RunIndexEntry>();
    const { events } = readEventLog<StoredEvent & RunIndexEntry>(join(this.root, "index.jsonl"));
    for (const entry of events) byId.set(entry.id, { ...byId.get(entry.id), ...entry });
    if (existsSync(this.root)) {
      for (const name of readdirSync(this.root)) {
        if (!byId.has(name) && existsSync(join(this.root, name, "events.jsonl")))
          byId.set(name, { id: name, at: 0, status: "started" });
      }
    }
    return [...byId.values()].sort((a, b) => b.id.localeCompare(a.id));
  }

  private requireRun(id: string): void {
    if (!existsSync(join(this.runDir(id), "events.jsonl")))
      throw new RunNotFoundError(
        `no run '${id}' under ${this.root}: 'closedloop show' lists runs; pass --runs-dir if they live elsewhere`,
      );
  }
}
