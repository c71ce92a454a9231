// Three kinds of failure are kept apart (see STYLE.md): outcomes are values, bugs throw,
// and user errors are this class — a message that says what to do, and exit code 2.

export class UserError extends Error {
  override readonly name: string = "UserError";
  readonly exitCode: number = 2;

  static isInstance(error: unknown): error is UserError {
    return error instanceof UserError;
  }
}
