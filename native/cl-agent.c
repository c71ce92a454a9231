/*
 * cl-agent: the one long-lived process inside a closedloop sandbox.
 *
 * Spawning a fresh bubblewrap for every command costs a namespace setup (~6-11 ms);
 * asking a process that already lives inside the namespaces to fork+exec costs about a
 * bare spawn. The host talks to this agent over its stdin/stdout with small binary
 * frames; each command gets its own session/process group so a hung or killed command
 * never poisons the next. It is written in C so that hundreds of idle sandboxes fit in
 * a few MiB each.
 *
 * Frame: u8 type, u32 id (little endian), u32 length, payload.
 * host -> agent: 'S' spawn {u8 flags, u64 outCap, u32 argc, u32 envc, cwd\0 argv\0.. env\0..}
 *                'I' stdin bytes, 'E' stdin EOF, 'K' kill {u32 signal}, 'Q' quit
 * agent -> host: 'R' ready, 'P' started {u32 pid}, 'O' stdout, 'e' stderr, 'C' fd-3 bytes,
 *                'X' exit {i32 code, i32 signal, u64 outBytes}, 'F' spawn failed {message}
 *
 * Usage: cl-agent --preload LIB [--cpu-share CORES]. LIB (cl-nodump.so) goes first in the LD_PRELOAD of every
 * command, ahead of any the command's env names: each program then makes itself
 * non-dumpable before its main runs, so no process inside can open another's /proc/N/mem
 * or /proc/N/fd (all run as one uid; the kernel refuses those for a non-dumpable target).
 * --cpu-share (only where no cgroup holds the share) throttles the sandbox: cl-throttle.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cl-frame.h"
#include "cl-throttle.h"

#define MAX_CHILDREN 64
#define FLAG_BACKGROUND 1

struct child {
  int used;
  uint32_t id;
  pid_t pid;
  int flags;
  int out, err, ctl, in; /* our pipe ends, -1 when closed */
  uint64_t cap, produced;
  char *inbuf;
  size_t inlen, inoff;
  int in_eof;
};

static struct child kids[MAX_CHILDREN];
static const char *preload; /* the library every command gets in LD_PRELOAD */
static unsigned char *rbuf;
static size_t rlen, rcap;

/* Read what is available on one of a child's output pipes and forward it. */
static void pump(struct child *k, int *fd, char type) {
  char buf[65536];
  for (;;) {
    ssize_t n = read(*fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      close_fd(fd);
      return;
    }
    if (type == 'C') {
      send_frame(type, k->id, buf, (uint32_t)n);
      continue;
    }
    uint64_t room = k->produced < k->cap ? k->cap - k->produced : 0;
    k->produced += (uint64_t)n;
    if (room > 0) send_frame(type, k->id, buf, (uint32_t)(room < (uint64_t)n ? room : (uint64_t)n));
  }
}

/* In the child, before exec: LD_PRELOAD = LIB, then whatever the command asked for. The
 * loader reads the last LD_PRELOAD and getenv the first, so every one of them gets LIB. */
static char **with_preload(char **envp, uint32_t envc) {
  static const char name[] = "LD_PRELOAD=";
  const size_t nlen = sizeof name - 1;
  char **out = calloc(envc + 2, sizeof *out);
  uint32_t n = 0;
  int seen = 0;
  if (!out) return NULL;
  for (uint32_t i = 0; i < envc; i++) {
    if (strncmp(envp[i], name, nlen) != 0) {
      out[n++] = envp[i];
      continue;
    }
    const char *theirs = envp[i] + nlen;
    size_t len = nlen + strlen(preload) + 1 + strlen(theirs) + 1;
    char *entry = malloc(len);
    if (!entry) return NULL;
    snprintf(entry, len, "%s%s%s%s", name, preload, *theirs ? ":" : "", theirs);
    out[n++] = entry;
    seen = 1;
  }
  if (!seen) {
    size_t len = nlen + strlen(preload) + 1;
    char *entry = malloc(len);
    if (!entry) return NULL;
    snprintf(entry, len, "%s%s", name, preload);
    out[n++] = entry;
  }
  return out;
}

static void spawn(uint32_t id, const unsigned char *p, uint32_t len) {
  struct child *k = NULL;
  for (int i = 0; i < MAX_CHILDREN; i++)
    if (!kids[i].used) {
      k = &kids[i];
      break;
    }
  if (!k || len < 17) {
    const char *m = k ? "bad spawn frame" : "too many commands at once";
    send_frame('F', id, m, (uint32_t)strlen(m));
    return;
  }
  int flags = p[0];
  uint64_t cap = (uint64_t)get_u32(p + 1) | (uint64_t)get_u32(p + 5) << 32;
  uint32_t argc = get_u32(p + 9), envc = get_u32(p + 13);
  const char *s = (const char *)p + 17, *end = (const char *)p + len;
  if (argc == 0 || argc > 4096 || envc > 4096) {
    send_frame('F', id, "bad argv", 8);
    return;
  }
  char **argv = calloc(argc + 1, sizeof *argv), **envp = calloc(envc + 1, sizeof *envp);
  const char *cwd = s;
  s += strnlen(s, (size_t)(end - s)) + 1;
  for (uint32_t i = 0; i < argc + envc; i++) {
    if (s >= end) {
      free(argv);
      free(envp);
      send_frame('F', id, "truncated spawn frame", 21);
      return;
    }
    if (i < argc) argv[i] = (char *)s;
    else envp[i - argc] = (char *)s;
    s += strnlen(s, (size_t)(end - s)) + 1;
  }
  int pin[2], pout[2], perr[2], pctl[2];
  if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC) || pipe2(pctl, O_CLOEXEC)) {
    free(argv);
    free(envp);
    send_frame('F', id, "pipe failed", 11);
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    setsid();
    dup2(pin[0], 0);
    dup2(pout[1], 1);
    dup2(perr[1], 2);
    dup2(pctl[1], 3);
    /* Nothing but stdio and the cwd report reaches the command. */
    if (syscall(SYS_close_range, 4U, ~0U, 0) != 0)
      for (int fd = 4; fd < 65536; fd++) close(fd);
    if (chdir(cwd) != 0) {
      dprintf(2, "closedloop: cannot enter %s: %s\n", cwd, strerror(errno));
      _exit(126);
    }
    char **env = with_preload(envp, envc);
    if (!env) {
      dprintf(2, "closedloop: out of memory starting %s\n", argv[0]);
      _exit(126);
    }
    execvpe(argv[0], argv, env);
    dprintf(2, "closedloop: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  free(argv);
  free(envp);
  close(pin[0]);
  close(pout[1]);
  close(perr[1]);
  close(pctl[1]);
  if (pid < 0) {
    close(pin[1]);
    close(pout[0]);
    close(perr[0]);
    close(pctl[0]);
    send_frame('F', id, "fork failed (process limit?)", 28);
    return;
  }
  memset(k, 0, sizeof *k);
  k->used = 1;
  k->id = id;
  k->pid = pid;
  k->flags = flags;
  k->cap = cap;
  k->in = pin[1];
  k->out = pout[0];
  k->err = perr[0];
  k->ctl = pctl[0];
  fcntl(k->in, F_SETFL, O_NONBLOCK);
  fcntl(k->out, F_SETFL, O_NONBLOCK);
  fcntl(k->err, F_SETFL, O_NONBLOCK);
  fcntl(k->ctl, F_SETFL, O_NONBLOCK);
  unsigned char b[4];
  put_u32(b, (uint32_t)pid);
  send_frame('P', id, b, 4);
  throttle_wake();
}

static struct child *find(uint32_t id) {
  for (int i = 0; i < MAX_CHILDREN; i++)
    if (kids[i].used && kids[i].id == id) return &kids[i];
  return NULL;
}

static void flush_stdin(struct child *k) {
  while (k->in >= 0 && k->inoff < k->inlen) {
    ssize_t n = write(k->in, k->inbuf + k->inoff, k->inlen - k->inoff);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n < 0) { /* reader gone: drop the rest */
      k->inoff = k->inlen;
      close_fd(&k->in);
      break;
    }
    k->inoff += (size_t)n;
  }
  if (k->inoff == k->inlen) {
    free(k->inbuf);
    k->inbuf = NULL;
    k->inlen = k->inoff = 0;
    if (k->in_eof) close_fd(&k->in);
  }
}

static void handle_frame(char type, uint32_t id, const unsigned char *p, uint32_t len) {
  struct child *k;
  switch (type) {
  case 'S':
    spawn(id, p, len);
    break;
  case 'I':
    if ((k = find(id)) && k->in >= 0) {
      k->inbuf = realloc(k->inbuf, k->inlen + len);
      memcpy(k->inbuf + k->inlen, p, len);
      k->inlen += len;
      flush_stdin(k);
    }
    break;
  case 'E':
    if ((k = find(id))) {
      k->in_eof = 1;
      flush_stdin(k);
    }
    break;
  case 'K':
    if ((k = find(id)) && len >= 4) kill(-k->pid, (int)get_u32(p));
    throttle_release(); /* a stopped command must be able to act on the signal */
    break;
  case 'Q':
    throttle_release();
    for (int i = 0; i < MAX_CHILDREN; i++)
      if (kids[i].used) kill(-kids[i].pid, SIGKILL);
    _exit(0);
  }
}

static void read_host(void) {
  if (rcap - rlen < 65536) {
    rcap = rcap * 2 + 65536;
    rbuf = realloc(rbuf, rcap);
  }
  ssize_t n = read(0, rbuf + rlen, rcap - rlen);
  if (n < 0 && errno == EINTR) return;
  if (n <= 0) handle_frame('Q', 0, NULL, 0); /* host closed the channel: end everything */
  rlen += (size_t)n;
  size_t off = 0;
  while (rlen - off >= 9) {
    uint32_t len = get_u32(rbuf + off + 5);
    if (len > (64u << 20)) _exit(3); /* a corrupt stream is a bug on the host side */
    if (rlen - off - 9 < len) break;
    handle_frame((char)rbuf[off], get_u32(rbuf + off + 1), rbuf + off + 9, len);
    off += 9 + len;
  }
  memmove(rbuf, rbuf + off, rlen - off);
  rlen -= off;
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (int i = 0; i < MAX_CHILDREN; i++) {
      struct child *k = &kids[i];
      if (!k->used || k->pid != pid) continue;
      /* Take what the command wrote before it ended, then stop listening: grandchildren
       * that kept the pipes open must not hold the command open (use start() for those). */
      if (k->out >= 0) pump(k, &k->out, 'O');
      if (k->err >= 0) pump(k, &k->err, 'e');
      if (k->ctl >= 0) pump(k, &k->ctl, 'C');
      if (!(k->flags & FLAG_BACKGROUND)) kill(-pid, SIGKILL);
      unsigned char b[16];
      put_u32(b, WIFEXITED(status) ? (uint32_t)WEXITSTATUS(status) : 0xffffffffu);
      put_u32(b + 4, WIFSIGNALED(status) ? (uint32_t)WTERMSIG(status) : 0);
      put_u32(b + 8, (uint32_t)k->produced);
      put_u32(b + 12, (uint32_t)(k->produced >> 32));
      send_frame('X', k->id, b, 16);
      close_fd(&k->out);
      close_fd(&k->err);
      close_fd(&k->ctl);
      close_fd(&k->in);
      free(k->inbuf);
      k->used = 0;
    }
  }
}

int main(int argc, char **argv) {
  /* Sandboxed code runs as the same uid: keep it from reading or tracing the agent. */
  prctl(PR_SET_DUMPABLE, 0);
  int bad = 0;
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 < argc && !strcmp(argv[i], "--preload")) preload = argv[i + 1];
    else if (i + 1 < argc && !strcmp(argv[i], "--cpu-share")) bad |= throttle_init(argv[i + 1]) != 0;
    else bad = 1;
  }
  /* Without the library every command would be open to the others: refuse to serve. */
  if (bad || !preload || access(preload, R_OK) != 0 || strchr(preload, ':') || strchr(preload, ' ')) {
    fprintf(stderr, "cl-agent: usage: cl-agent --preload LIB [--cpu-share CORES] (got %s)\n",
            preload ? preload : "no library");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
  fcntl(0, F_SETFD, FD_CLOEXEC);
  fcntl(1, F_SETFD, FD_CLOEXEC);
  send_frame('R', 0, NULL, 0);

  struct pollfd pfd[3 + MAX_CHILDREN * 4];
  struct {
    struct child *k;
    int *fd;
    char type;
  } map[3 + MAX_CHILDREN * 4];
  for (;;) {
    int n = 0;
    pfd[n] = (struct pollfd){.fd = 0, .events = POLLIN};
    map[n++].k = NULL;
    pfd[n] = (struct pollfd){.fd = sfd, .events = POLLIN};
    map[n++].k = NULL;
    pfd[n] = (struct pollfd){.fd = thr.armed ? thr.fd : -1, .events = POLLIN};
    map[n++].k = NULL;
    for (int i = 0; i < MAX_CHILDREN; i++) {
      struct child *k = &kids[i];
      if (!k->used) continue;
      int *fds[3] = {&k->out, &k->err, &k->ctl};
      char types[3] = {'O', 'e', 'C'};
      for (int j = 0; j < 3; j++)
        if (*fds[j] >= 0) {
          pfd[n] = (struct pollfd){.fd = *fds[j], .events = POLLIN};
          map[n].k = k;
          map[n].fd = fds[j];
          map[n++].type = types[j];
        }
      if (k->in >= 0 && k->inlen > k->inoff) {
        pfd[n] = (struct pollfd){.fd = k->in, .events = POLLOUT};
        map[n].k = k;
        map[n].fd = &k->in;
        map[n++].type = 'I';
      }
    }
    if (poll(pfd, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      return 2;
    }
    for (int i = 3; i < n; i++) {
      if (!pfd[i].revents || !map[i].k->used) continue;
      if (map[i].type == 'I') flush_stdin(map[i].k);
      else if (*map[i].fd == pfd[i].fd) pump(map[i].k, map[i].fd, map[i].type);
    }
    if (pfd[1].revents) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) > 0) {
      }
      reap();
    }
    if (pfd[2].revents) throttle_tick();
    if (pfd[0].revents) read_host();
  }
}
