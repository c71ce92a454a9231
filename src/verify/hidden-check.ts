// A hidden check may name the output it expects: `--hidden 'node cli.js 2 3 ==> 5'` runs
// `node cli.js 2 3` in the clean room and passes only when it exits 0 and its stdout is `5`.
// The expected text never enters the sandbox. It has to stay out: everything inside runs as
// one uid, and any process's command line is readable by all (/proc/N/cmdline), so code under
// test can read the check that judges it — `node cli.js 2 3 | grep -qx 5` handed it the
// answer (shown by an outside attack: the patch read its caller's grep from /proc and
// returned 5 without fixing anything).

/** The separator between a hidden check's command and the stdout it must print. */
export const expectSeparator = " ==> ";

export interface HiddenCheck {
  /** What runs in the clean room. */
  command: string;
  /** The whole stdout it must print (compared on the host, trailing whitespace ignored). */
  expectStdout?: string;
}

export function parseHiddenCheck(text: string): HiddenCheck {
  if (text.startsWith(expectSeparator.trimStart()))
    return { command: "", expectStdout: text.slice(expectSeparator.length - 1).trim() };
  const at = text.lastIndexOf(expectSeparator);
  if (at < 0) return { command: text };
  return {
    command: text.slice(0, at).trim(),
    expectStdout: text.slice(at + expectSeparator.length).trim(),
  };
}

/** Whether a command's stdout is what the check expects (always, when it names nothing). */
export function stdoutMatches(check: HiddenCheck, stdout: string): boolean {
  return check.expectStdout === undefined || stdout.trimEnd() === check.expectStdout;
}
