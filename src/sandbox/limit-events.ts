// Which of its limits a command ran into, from what the kernel counts, never guessed from the
// command's output: a sample before the command and one after, compared.
//   memory     the cgroup's oom_kill counter rose (v2 memory.events, v1 memory.oom_control)
//   processes  the cgroup's pids "max" counter rose: a fork or clone was refused at pids.max
//   disk       the writable layer's tmpfs (its bytes or its inodes) went from room to full
// Under the rlimit fallback there is no cgroup: RLIMIT_DATA and RLIMIT_NPROC make malloc and
// fork fail (ENOMEM, EAGAIN) without any counter, so memory and processes are not claimed
// there; the disk budget is a tmpfs under every mechanism and is always read.
// Commands that run at the same time in one sandbox (a background server) share the counters,
// so a hit is the sandbox's while the command ran.
import { readFileSync, statfsSync } from "node:fs";
import type { LimitEventCounter } from "./cgroup-limits.ts";
import type { LimitName } from "./types.ts";

export interface LimitSample {
  counters: Map<LimitEventCounter["limit"], number>;
  /** Free bytes and inodes of the writable layer; absent when it could not be read. */
  layer?: { freeBytes: number; totalBytes: number; freeInodes: number };
}

export interface LimitSources {
  counters: readonly LimitEventCounter[];
  /** The writable layer's tmpfs as the host can reach it. */
  layerPath: string;
}

/** The value of `key` in a cgroup file of `key N` lines (memory.events, pids.events …). */
export function readCounter(text: string, key: string): number | undefined {
  for (const line of text.split("\n")) {
    const [name, value] = line.trim().split(/\s+/);
    if (name === key && value !== undefined && /^\d+$/.test(value)) return Number(value);
  }
  return undefined;
}

export function sampleLimits(sources: LimitSources): LimitSample {
  const counters = new Map<LimitEventCounter["limit"], number>();
  for (const counter of sources.counters) {
    try {
      const value = readCounter(readFileSync(counter.file, "utf8"), counter.key);
      if (value !== undefined) counters.set(counter.limit, value);
    } catch {
      // An unreadable counter claims nothing.
    }
  }
  const sample: LimitSample = { counters };
  try {
    const fs = statfsSync(sources.layerPath);
    sample.layer = {
      freeBytes: fs.bavail * fs.bsize,
      totalBytes: fs.blocks * fs.bsize,
      freeInodes: fs.ffree,
    };
  } catch {}
  return sample;
}

/**
 * Full means no room for another write: tmpfs hands out whole pages, so a writer stopped by
 * ENOSPC leaves at most a little slack (a page, or a partly written chunk).
 */
function isFull(layer: NonNullable<LimitSample["layer"]>): boolean {
  const slack = Math.min(1024 ** 2, Math.max(64 * 1024, layer.totalBytes / 100));
  return layer.freeBytes <= slack || layer.freeInodes === 0;
}

export function limitsHitBetween(before: LimitSample, after: LimitSample): LimitName[] {
  const hits: LimitName[] = [];
  for (const [limit, count] of after.counters) {
    const was = before.counters.get(limit);
    if (was !== undefined && count > was) hits.push(limit);
  }
  const [was, now] = [before.layer, after.layer];
  // It filled up during the command: it had room, or had more room than now, and is full.
  if (
    was &&
    now &&
    isFull(now) &&
    (!isFull(was) || now.freeBytes < was.freeBytes || now.freeInodes < was.freeInodes)
  )
    hits.push("disk");
  return hits;
}
