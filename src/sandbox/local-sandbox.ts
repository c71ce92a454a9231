import { SandboxUnavailableError } from "./errors.ts";
import type { Sandbox, SandboxPolicy } from "./types.ts";

// Placeholder until the bubblewrap backend lands (being written now).
export async function createLocalSandbox(_policy: SandboxPolicy): Promise<Sandbox> {
  throw new SandboxUnavailableError("the local sandbox backend is not built yet; pass --sandbox process");
}
