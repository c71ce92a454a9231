// Public face of the store: durable, append-only run trajectories and their result files.
export { fsyncDirectory, writeFileAtomic } from "./atomic-write.ts";
export { type ReadEventsResult, RunLog, readEventLog, type StoredEvent } from "./run-log.ts";
export { defaultRunsDir, type RunIndexEntry, RunNotFoundError, RunStore } from "./run-store.ts";
