/*
 * cl-export: reads a sandbox's changes from inside it, for `diff`.
 *
 * The host used to copy changed files through /proc/<pid>/root as a privileged process,
 * checking first and copying second; sandboxed code that swapped a folder for a symlink in
 * between got a host file (a 0600 private key) into the patch. This helper runs inside the
 * sandbox, as its uid, through the agent: it can only ever see what the sandbox sees, and it
 * resolves every path with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV),
 * so a link planted anywhere on the way is refused by the kernel at the moment of opening,
 * whatever runs meanwhile. Nothing needs to be frozen. Output is bounded by the caller's
 * limits (paths, bytes per file, bytes in all counting real blocks) and the host still checks
 * every record (this process runs as the sandbox uid, so it is not trusted either).
 *
 *   cl-export list UPPER MERGED MAXPATHS   what changed: the overlay's writable layer UPPER
 *                                          (bound read-only into the sandbox) and, for each of
 *                                          its folders, the names in the merged view
 *   cl-export copy ROOT MAXFILE BUDGET     the entries named on stdin (NUL-separated, relative
 *                                          to ROOT), with their content
 *
 * Record: u8 kind, u32 length (little endian), payload. list: 'p' rel (a changed non-folder),
 * 'd' rel (a folder of UPPER) then 'm' name per merged entry and '.', '#' (too many paths).
 * copy: 'F' u32 mode + rel, then 'c' data..., then 'z' (or 'x' message: left out);
 * 'L' u32 rel length + rel + target; 'D' u32 mode + rel; '-' rel (not there as a plain path);
 * '!' u64 bytes + rel (left out: too large or over the budget); '?' u32 errno + rel (left out:
 * the sandbox cannot read it). Both end with 'E'.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_DEPTH 64
#define PATH_CAP 4096

static unsigned long long max_paths, max_file, budget, spent, paths_out;

static void write_all(const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = write(1, p, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(2);
    p += n;
    len -= (size_t)n;
  }
}

/* Records are small and many: one write per 64 KiB, not three per record (each of which the
 * agent would forward as a frame of its own). */
static char out[1 << 16];
static size_t outlen;

static void flush_out(void) {
  write_all(out, outlen);
  outlen = 0;
}

static void emit(const void *buf, size_t len) {
  if (outlen + len > sizeof out) flush_out();
  if (len > sizeof out) write_all(buf, len);
  else {
    memcpy(out + outlen, buf, len);
    outlen += len;
  }
}

static void record(char kind, const void *a, uint32_t alen, const void *b, uint32_t blen) {
  unsigned char h[5];
  uint32_t len = alen + blen;
  h[0] = (unsigned char)kind;
  for (int i = 0; i < 4; i++) h[1 + i] = (unsigned char)(len >> (8 * i));
  emit(h, 5);
  if (alen) emit(a, alen);
  if (blen) emit(b, blen);
}

static void record_str(char kind, const char *s) { record(kind, s, (uint32_t)strlen(s), NULL, 0); }

static void record_u32(char kind, uint32_t v, const char *s) {
  unsigned char b[4];
  for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
  record(kind, b, 4, s, (uint32_t)strlen(s));
}

static int open_beneath(int dirfd, const char *path, int flags) {
  struct open_how how = {
      .flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
      .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
  };
  int fd;
  do fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof how);
  while (fd < 0 && errno == EINTR);
  return fd;
}

static int is_skipped_top(const char *rel) {
  return !strcmp(rel, ".git") || !strcmp(rel, ".closedloop");
}

static void too_many(void) {
  record_str('#', "too many changed paths");
  record('E', NULL, 0, NULL, 0);
  flush_out();
  _exit(3);
}

/* list: every non-folder entry of UPPER (whiteouts included: the host compares names). */
static void list_dir(int upper, int merged_root, const char *rel, int depth) {
  record_str('d', rel);
  int m = *rel ? open_beneath(merged_root, rel, O_RDONLY | O_DIRECTORY) : dup(merged_root);
  DIR *md = m >= 0 ? fdopendir(m) : NULL;
  struct dirent *e;
  while (md && (e = readdir(md))) {
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) record_str('m', e->d_name);
  }
  if (md) closedir(md);
  else if (m >= 0) close(m);
  record('.', NULL, 0, NULL, 0);

  DIR *d = fdopendir(upper);
  if (!d) return;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char child[PATH_CAP];
    if (snprintf(child, sizeof child, "%s%s%s", rel, *rel ? "/" : "", e->d_name) >= (int)sizeof child) continue;
    if (!*rel && is_skipped_top(child)) continue;
    /* d_type saves a system call per entry; DT_UNKNOWN falls back to asking. */
    int sub = e->d_type == DT_DIR || e->d_type == DT_UNKNOWN ? open_beneath(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY) : -1;
    if (sub >= 0) {
      if (depth < MAX_DEPTH) list_dir(sub, merged_root, child, depth + 1);
      else close(sub);
      continue;
    }
    struct stat st;
    if ((e->d_type == DT_CHR || e->d_type == DT_UNKNOWN) && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISCHR(st.st_mode) && st.st_rdev == 0)
      continue; /* a whiteout: found by the host's name comparison */
    if (++paths_out > max_paths) too_many();
    record_str('p', child);
  }
  closedir(d);
}

static void copy_entry(int root, const char *rel, int depth);

static void copy_file(int fd, const struct stat *st, const char *rel) {
  unsigned long long charged = (unsigned long long)st->st_blocks * 512;
  if ((unsigned long long)st->st_size > charged) charged = (unsigned long long)st->st_size;
  if ((unsigned long long)st->st_size > max_file || spent + charged > budget) {
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((unsigned long long)st->st_size >> (8 * i));
    record('!', b, 8, rel, (uint32_t)strlen(rel));
    return;
  }
  spent += charged;
  record_u32('F', (uint32_t)st->st_mode & 07777, rel);
  char buf[65536];
  unsigned long long sent = 0;
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      record_str('x', strerror(errno));
      return;
    }
    if (n == 0) break;
    sent += (unsigned long long)n;
    if (sent > charged) { /* it grew while we read it: not a file to put in a patch */
      record_str('x', "it changed while it was read");
      return;
    }
    record('c', buf, (uint32_t)n, NULL, 0);
  }
  record('z', NULL, 0, NULL, 0);
}

static void copy_dir(int fd, const char *rel, int depth) {
  DIR *d = fdopendir(fd);
  if (!d) {
    close(fd);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char child[PATH_CAP];
    if (snprintf(child, sizeof child, "%s/%s", rel, e->d_name) >= (int)sizeof child) continue;
    if (depth < MAX_DEPTH) copy_entry(dirfd(d), child, depth + 1);
  }
  closedir(d);
}

/* One path: opened beneath `base` (the root for a requested path, the folder for a child). */
static void copy_entry(int base, const char *rel, int depth) {
  if (++paths_out > max_paths) too_many();
  const char *name = depth == 0 ? rel : strrchr(rel, '/') + 1;
  int fd = open_beneath(base, name, O_RDONLY | O_NONBLOCK);
  struct stat st;
  if (fd < 0 && errno == ELOOP) {
    /* The last part is a symlink (recorded as text), or a part on the way is one (refused). */
    int p = open_beneath(base, name, O_PATH);
    char target[PATH_CAP];
    ssize_t n = p >= 0 ? readlinkat(p, "", target, sizeof target - 1) : -1;
    if (p >= 0) close(p);
    if (n >= 0) {
      target[n] = 0;
      unsigned char b[4];
      uint32_t rl = (uint32_t)strlen(rel);
      for (int i = 0; i < 4; i++) b[i] = (unsigned char)(rl >> (8 * i));
      char both[2 * PATH_CAP];
      memcpy(both, rel, rl);
      memcpy(both + rl, target, (size_t)n);
      record('L', b, 4, both, rl + (uint32_t)n);
    } else record_str('-', rel);
    return;
  }
  if (fd < 0 && (errno == EACCES || errno == EPERM)) {
    record_u32('?', (uint32_t)errno, rel); /* there, but the sandbox itself cannot read it */
    return;
  }
  if (fd < 0 || fstat(fd, &st) != 0) {
    if (fd >= 0) close(fd);
    record_str('-', rel);
    return;
  }
  if (S_ISREG(st.st_mode)) {
    copy_file(fd, &st, rel);
    close(fd);
  } else if (S_ISDIR(st.st_mode)) {
    record_u32('D', (uint32_t)st.st_mode & 07777, rel);
    copy_dir(fd, rel, depth);
  } else {
    close(fd);
    record_str('-', rel); /* a fifo, socket or device is not something a patch can carry */
  }
}

int main(int argc, char **argv) {
  /* Sandboxed code runs as our uid: keep it out of our memory as far as we can. */
  prctl(PR_SET_DUMPABLE, 0);
  if (argc == 5 && !strcmp(argv[1], "list")) {
    max_paths = strtoull(argv[4], NULL, 10);
    int upper = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int merged = open(argv[3], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (upper < 0 || merged < 0) {
      perror("cl-export: open");
      return 1;
    }
    list_dir(upper, merged, "", 0);
    record('E', NULL, 0, NULL, 0);
    flush_out();
    return 0;
  }
  if (argc == 5 && !strcmp(argv[1], "copy")) {
    max_file = strtoull(argv[3], NULL, 10);
    budget = strtoull(argv[4], NULL, 10);
    max_paths = 1000000;
    int root = open(argv[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) {
      perror("cl-export: open");
      return 1;
    }
    /* stdin: NUL-separated relative paths, read whole (the host caps their number). */
    size_t cap = 1 << 16, len = 0;
    char *in = malloc(cap);
    for (;;) {
      if (len == cap) in = realloc(in, cap *= 2);
      ssize_t n = read(0, in + len, cap - len);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      len += (size_t)n;
    }
    for (size_t off = 0; off < len;) {
      size_t l = strnlen(in + off, len - off);
      if (l > 0 && l < PATH_CAP) {
        char rel[PATH_CAP];
        memcpy(rel, in + off, l);
        rel[l] = 0;
        copy_entry(root, rel, 0);
      }
      off += l + 1;
    }
    record('E', NULL, 0, NULL, 0);
    flush_out();
    return 0;
  }
  fprintf(stderr, "usage: cl-export list UPPER MERGED MAXPATHS | copy ROOT MAXFILE BUDGET\n");
  return 2;
}
