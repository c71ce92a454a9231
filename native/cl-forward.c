/*
 * cl-forward: a tiny TCP <-> UNIX socket relay for the local sandbox.
 *
 *   cl-forward [--exit-on-stdin-eof] tcp:PORT=unix:PATH [tcp:PORT=unix:PATH ...]
 *   cl-forward [--exit-on-stdin-eof] unix:PATH=tcp:PORT [...]
 *
 * Inside the sandbox (loopback only) it lets programs reach the egress proxy and host-port
 * bridges through TCP ports on 127.0.0.1, relayed to UNIX sockets bind-mounted from the host.
 * Run on the host under `nsenter --net` it does the reverse, so the host can reach a server
 * inside. One process, one poll() loop, fixed tables: hundreds of sandboxes each run one of
 * these, so it must cost a few hundred KiB, never allocate per byte and never die because a
 * peer reset its connection. When every listener is bound it prints one line to stdout:
 * "ready" followed by the bound addresses (so PORT 0 can be used and discovered).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_SPECS 16
#define MAX_LISTENERS (MAX_SPECS * 2)
#define MAX_CONNS 256
#define BUF_SIZE 16384
#define CONNECT_TIMEOUT_MS 10000
#define RETRY_EVERY_MS 20

enum kind { KIND_TCP, KIND_UNIX };

struct spec {
  enum kind from, to;
  int port; /* the TCP side */
  struct sockaddr_un un; /* the UNIX side */
};

struct listener {
  int fd;
  int spec;
};

/* One direction of a relay: bytes read from one socket waiting to be written to the other. */
struct pipe_buf {
  size_t start, end;
  int eof;      /* source said EOF (or failed): nothing more will be read */
  int shut;     /* EOF has been passed on with shutdown(SHUT_WR) */
  char *data;   /* BUF_SIZE bytes in `buffers` */
};

enum state { FREE, CONNECTING, RETRY, RELAY };

struct conn {
  enum state state;
  int fd[2];        /* 0: accepted client, 1: upstream we connected to */
  int spec;
  int tried_v6;     /* unix->tcp: 127.0.0.1 refused, now trying ::1 */
  long deadline;    /* CONNECTING/RETRY give up after this (ms, monotonic) */
  long retry_at;    /* RETRY: when to try connecting again */
  struct pipe_buf up, down; /* up: fd[0] -> fd[1]; down: fd[1] -> fd[0] */
};

static struct spec specs[MAX_SPECS];
static int nspecs;
static struct listener listeners[MAX_LISTENERS];
static int nlisteners;
static struct conn conns[MAX_CONNS];
/* Kept apart from `conns` so that scanning the table never touches buffer pages: a buffer
 * page becomes resident when a connection uses it and is given back when the slot frees. */
static char buffers[MAX_CONNS][2][BUF_SIZE] __attribute__((aligned(4096)));
static int nconns;
static long accept_paused_until; /* out of descriptors: stop accepting for a moment */
static volatile sig_atomic_t stop;

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void die_usage(const char *msg) {
  fprintf(stderr, "cl-forward: %s\nusage: cl-forward [--exit-on-stdin-eof] tcp:PORT=unix:PATH... | unix:PATH=tcp:PORT...\n", msg);
  exit(2);
}

static int parse_port(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < 0 || v > 65535) return -1;
  return (int)v;
}

static int set_unix_path(struct sockaddr_un *un, const char *path) {
  if (strlen(path) == 0 || strlen(path) >= sizeof(un->sun_path)) return -1;
  memset(un, 0, sizeof(*un));
  un->sun_family = AF_UNIX;
  strcpy(un->sun_path, path);
  return 0;
}

static void parse_spec(const char *arg) {
  if (nspecs == MAX_SPECS) die_usage("too many forwards");
  struct spec *s = &specs[nspecs];
  const char *eq = strchr(arg, '=');
  if (!eq) die_usage("a forward needs '='");
  char left[256];
  size_t llen = (size_t)(eq - arg);
  if (llen >= sizeof(left)) die_usage("forward too long");
  memcpy(left, arg, llen);
  left[llen] = '\0';
  const char *right = eq + 1;
  if (strncmp(left, "tcp:", 4) == 0 && strncmp(right, "unix:", 5) == 0) {
    s->from = KIND_TCP;
    s->to = KIND_UNIX;
    s->port = parse_port(left + 4);
    if (s->port < 0) die_usage("bad TCP port");
    if (set_unix_path(&s->un, right + 5) < 0) die_usage("bad or too long UNIX socket path");
  } else if (strncmp(left, "unix:", 5) == 0 && strncmp(right, "tcp:", 4) == 0) {
    s->from = KIND_UNIX;
    s->to = KIND_TCP;
    s->port = parse_port(right + 4);
    if (s->port <= 0) die_usage("bad TCP port");
    if (set_unix_path(&s->un, left + 5) < 0) die_usage("bad or too long UNIX socket path");
  } else {
    die_usage("a forward is tcp:PORT=unix:PATH or unix:PATH=tcp:PORT");
  }
  nspecs++;
}

static int add_listener(int fd, int spec) {
  listeners[nlisteners].fd = fd;
  listeners[nlisteners].spec = spec;
  return nlisteners++;
}

/* Binds a loopback TCP listener; returns the bound port or -1. */
static int listen_tcp(int spec, int v6, int port) {
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  int rc;
  if (v6) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
  } else {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = bind(fd, (struct sockaddr *)&a, sizeof(a));
  }
  if (rc < 0 || listen(fd, 128) < 0) {
    close(fd);
    return -1;
  }
  struct sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  getsockname(fd, (struct sockaddr *)&ss, &len);
  add_listener(fd, spec);
  return v6 ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) : ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void listen_unix(int spec) {
  struct spec *s = &specs[spec];
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    perror("cl-forward: socket");
    exit(1);
  }
  unlink(s->un.sun_path); /* a stale socket from an earlier run */
  mode_t old = umask(0177); /* born 0600: no window where others may connect */
  int rc = bind(fd, (struct sockaddr *)&s->un, sizeof(s->un));
  umask(old);
  if (rc < 0 || listen(fd, 128) < 0) {
    fprintf(stderr, "cl-forward: cannot listen on %s: %s\n", s->un.sun_path, strerror(errno));
    exit(1);
  }
  add_listener(fd, spec);
}

static void buf_reset(struct pipe_buf *b) {
  b->start = b->end = 0;
  b->eof = b->shut = 0;
}

static void conn_close(struct conn *c) {
  if (c->fd[0] >= 0) close(c->fd[0]);
  if (c->fd[1] >= 0) close(c->fd[1]);
  c->fd[0] = c->fd[1] = -1;
  c->state = FREE;
  nconns--;
  madvise(buffers[c - conns], sizeof(buffers[0]), MADV_DONTNEED);
}

/* Starts a non-blocking connect for c->fd[1]. Returns 0 connected, 1 in progress, 2 retry later, -1 failed. */
static int start_connect(struct conn *c) {
  struct spec *s = &specs[c->spec];
  int fd, rc;
  if (s->to == KIND_UNIX) {
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    rc = connect(fd, (struct sockaddr *)&s->un, sizeof(s->un));
  } else if (!c->tried_v6) {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(s->port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
  } else {
    fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(s->port), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
  }
  c->fd[1] = fd;
  if (rc == 0) return 0;
  if (errno == EINPROGRESS || errno == EINTR) return 1;
  int err = errno;
  close(fd);
  c->fd[1] = -1;
  /* A UNIX listener with a full backlog says EAGAIN instead of queueing us: try again soon. */
  if (err == EAGAIN && s->to == KIND_UNIX) return 2;
  errno = err;
  return -1;
}

/* A dev server bound to "localhost" may listen on ::1 only; try it once 127.0.0.1 refuses. */
static int connect_failed(struct conn *c) {
  if (specs[c->spec].to == KIND_TCP && !c->tried_v6) {
    c->tried_v6 = 1;
    return start_connect(c);
  }
  return -1;
}

static void advance_connect(struct conn *c, int rc) {
  if (rc == 1) {
    c->state = CONNECTING;
  } else if (rc == 2) {
    c->state = RETRY;
    c->retry_at = now_ms() + RETRY_EVERY_MS;
  } else if (rc == 0) {
    int one = 1;
    if (specs[c->spec].to == KIND_TCP) setsockopt(c->fd[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->state = RELAY;
  } else {
    conn_close(c);
  }
}

static void accept_on(struct listener *l) {
  for (;;) {
    if (nconns == MAX_CONNS) return; /* the rest waits in the kernel backlog */
    int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      /* Out of descriptors or memory: the listener stays readable, so back off rather than spin. */
      if (errno != EAGAIN) accept_paused_until = now_ms() + 100;
      return;
    }
    struct conn *c = NULL;
    for (int i = 0; i < MAX_CONNS; i++)
      if (conns[i].state == FREE) {
        c = &conns[i];
        break;
      }
    nconns++;
    c->up.data = buffers[c - conns][0];
    c->down.data = buffers[c - conns][1];
    c->fd[0] = fd;
    c->fd[1] = -1;
    c->spec = l->spec;
    c->tried_v6 = 0;
    c->deadline = now_ms() + CONNECT_TIMEOUT_MS;
    buf_reset(&c->up);
    buf_reset(&c->down);
    if (specs[l->spec].from == KIND_TCP) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    int rc = start_connect(c);
    if (rc < 0) rc = connect_failed(c);
    advance_connect(c, rc);
  }
}

/* Reads from src into b. Returns -1 when the connection must be dropped. */
static int fill(int src, struct pipe_buf *b) {
  if (b->eof || b->end == BUF_SIZE) return 0;
  for (;;) {
    ssize_t n = read(src, b->data + b->end, BUF_SIZE - b->end);
    if (n > 0) {
      b->end += (size_t)n;
      return 0;
    }
    if (n == 0) {
      b->eof = 1;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return 0;
    return -1; /* ECONNRESET and friends */
  }
}

/* Writes b to dst, then passes EOF on once drained. Returns -1 when the connection must be dropped. */
static int drain(int dst, struct pipe_buf *b) {
  while (b->start < b->end) {
    ssize_t n = send(dst, b->data + b->start, b->end - b->start, MSG_NOSIGNAL);
    if (n > 0) {
      b->start += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return 0;
    return -1; /* EPIPE, ECONNRESET: the peer is gone */
  }
  b->start = b->end = 0;
  if (b->eof && !b->shut) {
    shutdown(dst, SHUT_WR);
    b->shut = 1;
  }
  return 0;
}

static short want(struct conn *c, int side) {
  struct pipe_buf *in = side == 0 ? &c->up : &c->down;
  struct pipe_buf *out = side == 0 ? &c->down : &c->up;
  short ev = 0;
  if (!in->eof && in->end < BUF_SIZE) ev |= POLLIN;
  if (out->start < out->end) ev |= POLLOUT;
  return ev;
}

static void relay(struct conn *c, short rev0, short rev1) {
  /* An error or hang-up is found out by reading: read returns the rest, then 0 or an error. */
  if ((rev0 & (POLLIN | POLLHUP | POLLERR)) && fill(c->fd[0], &c->up) < 0) goto drop;
  if ((rev1 & (POLLIN | POLLHUP | POLLERR)) && fill(c->fd[1], &c->down) < 0) goto drop;
  if (drain(c->fd[1], &c->up) < 0 || drain(c->fd[0], &c->down) < 0) goto drop;
  /* A side that hung up entirely can take no more bytes: once its own bytes are passed on, end. */
  if ((rev0 & POLLHUP) && c->up.shut) goto drop;
  if ((rev1 & POLLHUP) && c->down.shut) goto drop;
  if (c->up.shut && c->down.shut) goto drop;
  return;
drop:
  conn_close(c);
}

static void finish_connect(struct conn *c) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
  if (err == 0) {
    advance_connect(c, 0);
    return;
  }
  close(c->fd[1]);
  c->fd[1] = -1;
  advance_connect(c, connect_failed(c));
}

static void print_ready(int *ports) {
  char line[4096];
  size_t off = (size_t)snprintf(line, sizeof(line), "ready");
  for (int i = 0; i < nspecs && off < sizeof(line); i++) {
    if (specs[i].from == KIND_TCP)
      off += (size_t)snprintf(line + off, sizeof(line) - off, " tcp:%d", ports[i]);
    else
      off += (size_t)snprintf(line + off, sizeof(line) - off, " unix:%s", specs[i].un.sun_path);
  }
  if (off < sizeof(line) - 1) line[off++] = '\n';
  ssize_t ignored = write(1, line, off); /* nobody reading stdout is fine */
  (void)ignored;
}

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

/* Leaves no socket file behind on a normal way out. */
static int finish(int code) {
  for (int i = 0; i < nspecs; i++)
    if (specs[i].from == KIND_UNIX) unlink(specs[i].un.sun_path);
  return code;
}

int main(int argc, char **argv) {
  int exit_on_eof = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--exit-on-stdin-eof") == 0) exit_on_eof = 1;
    else parse_spec(argv[i]);
  }
  if (nspecs == 0) die_usage("nothing to forward");
  signal(SIGPIPE, SIG_IGN);
  struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: poll must return EINTR */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  /* Blocked except inside ppoll, so a signal between the `stop` check and the wait is not lost. */
  sigset_t blocked, during_poll;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGINT);
  sigaddset(&blocked, SIGHUP);
  sigprocmask(SIG_BLOCK, &blocked, &during_poll);

  int ports[MAX_SPECS];
  for (int i = 0; i < nspecs; i++) {
    if (specs[i].from == KIND_UNIX) {
      listen_unix(i);
      continue;
    }
    ports[i] = listen_tcp(i, 0, specs[i].port);
    if (ports[i] < 0) {
      fprintf(stderr, "cl-forward: cannot listen on 127.0.0.1:%d: %s\n", specs[i].port, strerror(errno));
      exit(1);
    }
    listen_tcp(i, 1, ports[i]); /* ::1 too when the namespace has IPv6 loopback; optional */
  }
  print_ready(ports);

  static struct pollfd pfd[1 + MAX_LISTENERS + 2 * MAX_CONNS];
  static struct conn *owner[1 + MAX_LISTENERS + 2 * MAX_CONNS];
  while (!stop) {
    int n = 0;
    if (exit_on_eof) pfd[n++] = (struct pollfd){.fd = 0, .events = POLLIN};
    int first_listener = n;
    long now = now_ms();
    int accepting = nconns < MAX_CONNS && now >= accept_paused_until;
    for (int i = 0; i < nlisteners; i++)
      pfd[n++] = (struct pollfd){.fd = accepting ? listeners[i].fd : -1, .events = POLLIN};
    int first_conn = n;
    int timeout = accepting || nconns == MAX_CONNS ? -1 : (int)(accept_paused_until - now);
    for (int i = 0; i < MAX_CONNS; i++) {
      struct conn *c = &conns[i];
      if (c->state == FREE) continue;
      if (c->state == CONNECTING || c->state == RETRY) {
        long wait = (c->state == RETRY ? c->retry_at : c->deadline) - now;
        if (wait < 0) wait = 0;
        if (timeout < 0 || wait < timeout) timeout = (int)wait;
      }
      for (int side = 0; side < 2; side++) {
        short ev = 0;
        if (c->state == RELAY) ev = want(c, side);
        else if (c->state == CONNECTING && side == 1) ev = POLLOUT;
        /* fd -1 when nothing is wanted, so a hung-up idle side cannot spin the loop */
        pfd[n] = (struct pollfd){.fd = ev ? c->fd[side] : -1, .events = ev};
        owner[n++] = c;
      }
    }
    struct timespec ts = {.tv_sec = timeout / 1000, .tv_nsec = (timeout % 1000) * 1000000L};
    int rc = ppoll(pfd, (nfds_t)n, timeout < 0 ? NULL : &ts, &during_poll);
    if (rc < 0) {
      if (errno == EINTR) continue;
      perror("cl-forward: poll");
      return finish(1);
    }
    if (exit_on_eof && pfd[0].revents) {
      char scratch[256];
      ssize_t r = read(0, scratch, sizeof(scratch));
      if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) return finish(0);
    }
    for (int i = first_conn; i < n; i += 2) {
      struct conn *c = owner[i];
      if (c->state == FREE) continue;
      if (c->state == CONNECTING) {
        if (pfd[i + 1].revents) finish_connect(c);
        else if (now_ms() >= c->deadline) conn_close(c);
      } else if (c->state == RETRY) {
        if (now_ms() >= c->deadline) conn_close(c);
        else if (now_ms() >= c->retry_at) advance_connect(c, start_connect(c));
      } else if (pfd[i].revents || pfd[i + 1].revents) {
        relay(c, pfd[i].revents, pfd[i + 1].revents);
      }
    }
    for (int i = 0; i < nlisteners; i++)
      if (pfd[first_listener + i].revents & POLLIN) accept_on(&listeners[i]);
  }
  return finish(0);
}
