// The local sandbox's endStrays(): end every process a previous command left running. A
// process that detaches (setsid, a double fork) escapes its command's process group and
// outlives it, and could watch or meddle with the next command — a hidden check included
// (an outside attack left one logging every later command line). The agent is PID 1 of the
// sandbox's own PID namespace, so every other process there belongs to the sandbox: all are
// ended but the agent, the shell doing it, and the sandbox's own network relay — known by
// its pid, never by its name, which any process can take (prctl PR_SET_NAME).

/** The shell script that ends them, repeated until a pass finds nothing left to end (so a
 * process forking meanwhile leaves no child behind). It starts no process itself. */
export function endStraysScript(keepPids: readonly number[]): string {
  const keep = [1, ...keepPids].map((pid) => `[ "$p" = ${Math.trunc(pid)} ] ||`).join(" ");
  return [
    "for pass in $(seq 1 16); do",
    "  n=0",
    "  for d in /proc/[0-9]*; do",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not JS
    "    p=${d#/proc/}",
    `    ${keep} [ "$p" = $$ ] && continue`,
    '    kill -KILL "$p" 2>/dev/null && n=$((n + 1))',
    "  done",
    '  [ "$n" = 0 ] && break',
    "done; true",
  ].join("\n");
}
