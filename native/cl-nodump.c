/*
 * cl-nodump.so: preloaded (LD_PRELOAD) into every command the sandbox's agent starts.
 *
 * Everything inside a sandbox runs as one uid, so without this any process could open
 * /proc/<pid>/mem read-write, or /proc/<pid>/fd/N, of any other: code under test could
 * write exit_group(0) into the shell or test runner waiting for it, or forge lines on the
 * command's stdout. The kernel refuses both for a non-dumpable target to a caller without
 * CAP_SYS_PTRACE (ptrace_may_access), which sandboxed code never has. execve makes a
 * process dumpable again, so each dynamically linked program makes itself non-dumpable
 * before its main runs. A process that clears LD_PRELOAD, or a static binary, stays
 * dumpable itself, but every ancestor that started it was already started non-dumpable.
 */
#include <sys/prctl.h>

__attribute__((constructor)) static void cl_nodump(void) {
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
