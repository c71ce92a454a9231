/*
 * cl-throttle.h: the CPU share where no cgroup holds it (a user with no delegated cgroup,
 * the "rlimit" mechanism), included by cl-agent.c.
 *
 * The agent is PID 1 of the sandbox's PID namespace, so /proc lists exactly the sandbox's
 * processes. While any process besides the agent exists, a timer samples their summed CPU
 * time; the share is a token bucket (share x wall time accrues, CPU used is spent), and
 * when it runs dry every process is SIGSTOPped until the debt is paid, then SIGCONTed, the
 * way cpulimit does it. Only processes the throttle itself stopped are continued: one the
 * sandboxed code stopped (state T when we came) stays stopped.
 *
 * The sum counts live processes' utime+stime+cutime+cstime plus the agent's cutime+cstime:
 * a child reaped by its parent moves its time into the parent's cutime, so the sum stays
 * continuous. (A child reaped automatically, its parent ignoring SIGCHLD, takes its time
 * with it: the kernel accounts it nowhere we can read without a cgroup.)
 *
 * Cost: no timer at all without --cpu-share or with nothing running; the period starts at
 * 100 ms when a command starts and doubles up to 1 s while nothing uses CPU.
 */
#include <dirent.h>
#include <math.h>
#include <sys/timerfd.h>
#include <time.h>

#define THROTTLE_MAX 4096      /* processes stopped at once (maxProcesses defaults to 1024) */
#define THROTTLE_BUSY_MS 100   /* sampling period while something uses CPU */
#define THROTTLE_IDLE_MS 1000  /* longest period while nothing does */
#define THROTTLE_BURST_S 0.2   /* bucket size: seconds of wall time worth of share */

static struct {
  double share;  /* cores; 0 = off */
  int fd;        /* timerfd, -1 when off */
  int armed, paused;
  long period_ms;
  double budget; /* CPU seconds that may still be used */
  double last_wall;
  unsigned long long last_cpu; /* clock ticks */
  long hz;
  pid_t stopped[THROTTLE_MAX];
  int nstopped;
} thr = {.fd = -1};

static double mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void throttle_arm(double seconds) {
  struct itimerspec it = {0};
  it.it_value.tv_sec = (time_t)seconds;
  it.it_value.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9);
  if (!it.it_value.tv_sec && !it.it_value.tv_nsec) it.it_value.tv_nsec = 1;
  timerfd_settime(thr.fd, 0, &it, NULL);
  thr.armed = seconds > 0;
}

/* /proc/PID/stat of one process: its state, and its CPU ticks (own + reaped children's). */
static int read_stat(int procfd, const char *pid, char *state, unsigned long long *own,
                     unsigned long long *children) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "%s/stat", pid);
  int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = 0;
  char *p = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
  unsigned long long ut, st, cut, cst;
  if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", state,
                   &ut, &st, &cut, &cst) != 5)
    return -1;
  *own = ut + st;
  *children = cut + cst;
  return 0;
}

static int throttle_has(pid_t pid) {
  for (int i = 0; i < thr.nstopped; i++)
    if (thr.stopped[i] == pid) return 1;
  return 0;
}

/*
 * One pass over /proc: the sandbox's CPU ticks, and how many processes besides us exist.
 * With stop set, also SIGSTOPs every running one not yet stopped by us; returns how many
 * it stopped in *fresh (a process forked while we went through the list shows up in the
 * next pass).
 */
static int throttle_scan(unsigned long long *cpu, int stop, int *fresh) {
  int procfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = procfd >= 0 ? fdopendir(procfd) : NULL;
  if (!d) {
    if (procfd >= 0) close(procfd);
    return -1;
  }
  pid_t self = getpid();
  int others = 0;
  *cpu = 0;
  if (fresh) *fresh = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    pid_t pid = (pid_t)atoi(e->d_name);
    char state;
    unsigned long long own, children;
    if (read_stat(procfd, e->d_name, &state, &own, &children) != 0) continue;
    if (pid == self) {
      *cpu += children;
      continue;
    }
    others++;
    *cpu += own + children;
    /* T/t: stopped or traced by the sandbox's own code, left as it is; Z/X: gone. */
    if (!stop || strchr("TtZX", state) || throttle_has(pid) || thr.nstopped >= THROTTLE_MAX) continue;
    if (kill(pid, SIGSTOP) == 0) {
      thr.stopped[thr.nstopped++] = pid;
      if (fresh) (*fresh)++;
    }
  }
  closedir(d);
  return others;
}

/* Continues what the throttle stopped (only that) and ends the pause. */
static void throttle_release(void) {
  for (int i = 0; i < thr.nstopped; i++) kill(thr.stopped[i], SIGCONT);
  thr.nstopped = 0;
  if (thr.paused) {
    thr.paused = 0;
    throttle_arm((double)THROTTLE_BUSY_MS / 1000);
  }
}

/* A command started: sample from now on at the busy period. */
static void throttle_wake(void) {
  if (thr.share <= 0 || thr.fd < 0) return;
  thr.period_ms = THROTTLE_BUSY_MS;
  if (thr.armed) return;
  if (throttle_scan(&thr.last_cpu, 0, NULL) < 0) return;
  thr.last_wall = mono_now();
  thr.budget = thr.share * THROTTLE_BURST_S;
  throttle_arm((double)thr.period_ms / 1000);
}

static void throttle_tick(void) {
  uint64_t expirations;
  if (read(thr.fd, &expirations, sizeof expirations) < 0) return;
  thr.armed = 0;
  if (thr.paused) {
    throttle_release();
    return;
  }
  unsigned long long cpu;
  int others = throttle_scan(&cpu, 0, NULL);
  if (others <= 0) return; /* nothing left to watch: no timer until the next command */
  double now = mono_now();
  double used = cpu > thr.last_cpu ? (double)(cpu - thr.last_cpu) / (double)thr.hz : 0;
  thr.budget += thr.share * (now - thr.last_wall) - used;
  if (thr.budget > thr.share * THROTTLE_BURST_S) thr.budget = thr.share * THROTTLE_BURST_S;
  if (thr.budget < -thr.share * 2) thr.budget = -thr.share * 2;
  thr.last_wall = now;
  thr.last_cpu = cpu;
  if (thr.budget >= 0) {
    thr.period_ms = used > 0 ? THROTTLE_BUSY_MS : (thr.period_ms * 2 > THROTTLE_IDLE_MS ? THROTTLE_IDLE_MS : thr.period_ms * 2);
    throttle_arm((double)thr.period_ms / 1000);
    return;
  }
  /* In debt: stop everything until share x pause pays it back. Passes repeat until one finds
   * nothing new, so a child forked while we went through /proc is stopped too. */
  int fresh = 0;
  for (int pass = 0; pass < 8; pass++)
    if (throttle_scan(&cpu, 1, &fresh) < 0 || fresh == 0) break;
  thr.paused = 1;
  thr.period_ms = THROTTLE_BUSY_MS;
  double pause = -thr.budget / thr.share;
  throttle_arm(pause < 0.01 ? 0.01 : pause > 2 ? 2 : pause);
}

/* --cpu-share CORES: returns 0, or -1 for a share that is not a positive number. */
static int throttle_init(const char *arg) {
  char *end;
  double share = strtod(arg, &end);
  if (*end || !isfinite(share) || share <= 0) return -1;
  thr.share = share;
  thr.hz = sysconf(_SC_CLK_TCK);
  if (thr.hz <= 0) thr.hz = 100;
  thr.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  return thr.fd < 0 ? -1 : 0;
}
