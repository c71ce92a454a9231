import { UserError } from "../util/index.ts";

/** The requested backend cannot run here; the message names the fix and the explicit fallback. */
export class SandboxUnavailableError extends UserError {
  override readonly name = "SandboxUnavailableError";
}

/** A path given to readFile/writeFile/list points outside the workspace. */
export class PathOutsideWorkspaceError extends UserError {
  override readonly name = "PathOutsideWorkspaceError";
}
