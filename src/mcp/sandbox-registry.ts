// The sandboxes MCP clients create, kept per session: a client sees and touches only its own,
// an idle one is disposed after `idleMs`, the server holds at most `maxCount` at once, and a
// session that ends (stdin closed, HTTP DELETE, session expiry) loses all of its sandboxes.
import { randomBytes } from "node:crypto";
import type { Sandbox } from "../sandbox/index.ts";
import { McpToolError } from "./tool-result.ts";

export interface SandboxRegistryOptions {
  /** Disposed after this long without a call (default 15 min). */
  idleMs?: number;
  /** Live sandboxes across every session of this server (default 8). */
  maxCount?: number;
}

interface Entry {
  id: string;
  owner: string;
  sandbox: Sandbox;
  createdAt: number;
  lastUsedAt: number;
  timer: NodeJS.Timeout;
  /** Calls running now: an idle timer never disposes a sandbox in use. */
  busy: number;
}

export interface SandboxSummary {
  id: string;
  workspace: string;
  backend: string;
  isolated: boolean;
  /** Host pid of the sandbox's outermost process, when it has one. */
  hostPid?: number | undefined;
  createdAt: number;
  idleMs: number;
}

export class SandboxRegistry {
  readonly idleMs: number;
  readonly maxCount: number;
  private readonly entries = new Map<string, Entry>();
  /** Ids that existed and were disposed, so a late call gets "disposed", not "unknown". */
  private readonly disposed = new Map<string, string>();
  /** Creations under way, counted against maxCount so parallel creates cannot overshoot. */
  private pending = 0;

  constructor(options: SandboxRegistryOptions = {}) {
    this.idleMs = options.idleMs ?? 15 * 60_000;
    this.maxCount = options.maxCount ?? 8;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Creates a sandbox for `owner` through `open`, refusing when the server is full. */
  async create(owner: string, open: () => Promise<Sandbox>): Promise<string> {
    if (this.entries.size + this.pending >= this.maxCount)
      throw new McpToolError(
        `this server already holds ${this.maxCount} sandboxes (its maximum): dispose one with sandbox_dispose first`,
      );
    this.pending++;
    let sandbox: Sandbox;
    try {
      sandbox = await open();
    } finally {
      this.pending--;
    }
    const id = `sbx_${randomBytes(6).toString("hex")}`;
    const now = Date.now();
    const entry: Entry = {
      id,
      owner,
      sandbox,
      createdAt: now,
      lastUsedAt: now,
      busy: 0,
      timer: this.idleTimer(id),
    };
    this.entries.set(id, entry);
    return id;
  }

  /** Runs `work` on the owner's sandbox `id`; another session's id reads as unknown. */
  async use<T>(owner: string, id: string, work: (sandbox: Sandbox) => Promise<T>): Promise<T> {
    const entry = this.lookup(owner, id);
    entry.busy++;
    clearTimeout(entry.timer);
    try {
      return await work(entry.sandbox);
    } finally {
      entry.busy--;
      entry.lastUsedAt = Date.now();
      if (this.entries.get(id) === entry) entry.timer = this.idleTimer(id);
    }
  }

  list(owner: string): SandboxSummary[] {
    const now = Date.now();
    return [...this.entries.values()]
      .filter((entry) => entry.owner === owner)
      .map((entry) => ({
        id: entry.id,
        workspace: entry.sandbox.info.workspace,
        backend: entry.sandbox.info.backend,
        isolated: entry.sandbox.info.isolated,
        hostPid: entry.sandbox.info.hostPid,
        createdAt: entry.createdAt,
        idleMs: now - entry.lastUsedAt,
      }));
  }

  async dispose(owner: string, id: string): Promise<void> {
    const entry = this.lookup(owner, id);
    await this.drop(entry, "disposed by sandbox_dispose");
  }

  /** Everything of one session (it ended). */
  async disposeOwner(owner: string): Promise<number> {
    const mine = [...this.entries.values()].filter((entry) => entry.owner === owner);
    await Promise.all(mine.map((entry) => this.drop(entry, "its session ended")));
    return mine.length;
  }

  async disposeAll(): Promise<void> {
    await Promise.all([...this.entries.values()].map((entry) => this.drop(entry, "the server stopped")));
  }

  private lookup(owner: string, id: string): Entry {
    const entry = this.entries.get(id);
    if (entry && entry.owner === owner) return entry;
    const why = this.disposed.get(`${owner}\0${id}`);
    if (why)
      throw new McpToolError(`sandbox ${id} was disposed (${why}): create a new one with sandbox_create`);
    throw new McpToolError(`no sandbox '${id}' in this session: sandbox_list shows yours`);
  }

  private idleTimer(id: string): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const entry = this.entries.get(id);
      if (entry && entry.busy === 0)
        void this.drop(
          entry,
          `idle for ${this.idleMs < 1000 ? `${this.idleMs} ms` : `${Math.round(this.idleMs / 1000)} s`}`,
        ).catch(() => {});
    }, this.idleMs);
    // An idle sandbox alone must not keep the process alive.
    timer.unref();
    return timer;
  }

  private async drop(entry: Entry, why: string): Promise<void> {
    if (this.entries.get(entry.id) !== entry) return;
    this.entries.delete(entry.id);
    clearTimeout(entry.timer);
    this.disposed.set(`${entry.owner}\0${entry.id}`, why);
    if (this.disposed.size > 1000) this.disposed.delete(this.disposed.keys().next().value!);
    await entry.sandbox.dispose();
  }
}
