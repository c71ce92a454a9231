// The one user error of a verifier spec, in its own file so every spec parser can throw it.
import { UserError } from "../util/index.ts";

export class InvalidVerifierSpecError extends UserError {
  override readonly name = "InvalidVerifierSpecError";
}
