import type { Sandbox, SandboxPolicy } from "./types.ts";

// Placeholder until the process backend lands.
export async function createProcessSandbox(_policy: SandboxPolicy): Promise<Sandbox> {
  throw new Error("process backend not written yet");
}
