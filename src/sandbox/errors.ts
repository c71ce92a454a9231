import { UserError } from "../util/index.ts";

/** The requested backend cannot run here; the message names the fix and the explicit fallback. */
export class SandboxUnavailableError extends UserError {
  override readonly name = "SandboxUnavailableError";
}

/** A path given to readFile/writeFile/list points outside the workspace. */
export class PathOutsideWorkspaceError extends UserError {
  override readonly name = "PathOutsideWorkspaceError";
}

/** diff() refused: too many changed paths, too long, or a malformed listing from inside. */
export class SandboxDiffError extends UserError {
  override readonly name = "SandboxDiffError";
}

/**
 * What the sandbox's agent said broke the frame protocol (a malformed frame, an unknown
 * command id, more output than allowed) or it stopped answering. Nothing it said after
 * that is believed: the sandbox is ended, and every command in flight fails with this.
 */
export class SandboxProtocolError extends Error {
  override readonly name = "SandboxProtocolError";

  constructor(readonly detail: string) {
    super(
      `the sandbox's agent broke the protocol (${detail}); the sandbox was ended — reset it or create a new one`,
    );
  }

  static isInstance(error: unknown): error is SandboxProtocolError {
    return error instanceof SandboxProtocolError;
  }
}
