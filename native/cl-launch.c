/*
 * cl-launch: prepares one sandbox's filesystem and limits, then becomes bubblewrap.
 *
 * Debian 12's bwrap 0.8 has no overlay flags, so the copy-on-write view is mounted here,
 * in a private mount namespace that only this sandbox's processes share (nothing lands in
 * the host's mount table, and it vanishes with the last process):
 *   - a size- and inode-limited tmpfs holds the writable layer (the disk limit) and every
 *     other writable place (/tmp, $HOME, /run, /var/tmp); a second one is /dev/shm,
 *   - overlayfs puts that layer over the user's tree,
 *   - as root, the tree is first seen through an id-mapped mount so that files owned by
 *     the host user appear owned by the sandbox's unprivileged uid (the overlay is then
 *     writable without ever running sandboxed code as root),
 *   - toolchain folders and files under a private home are bind-mounted where bwrap can reach them.
 * Then it joins the sandbox's cgroups, sets rlimits, drops to the sandbox uid and execs
 * bwrap with the arguments after "--".
 *
 * usage: cl-launch --state DIR --lower DIR --uid N --gid N [--idmap-from UID:GID]
 *          [--disk BYTES] [--shm BYTES] [--cgroup FILE]... [--tool DIR]... [--rlimit NAME=N]... -- bwrap ...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "closedloop sandbox setup: %s: %s\n", what, strerror(errno));
  exit(125);
}

static void write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) die(path);
  close(fd);
}

static void mkdir_owned(const char *path, uid_t uid, gid_t gid, mode_t mode) {
  if (mkdir(path, mode) != 0 && errno != EEXIST) die(path);
  if (chown(path, uid, gid) != 0) die(path);
}

/* A user namespace whose map sends on-disk owner `from` to `to`; its fd describes an idmapping. */
static int idmap_userns(uid_t from_uid, gid_t from_gid, uid_t to_uid, gid_t to_gid) {
  int pipefd[2];
  if (pipe(pipefd)) die("pipe");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    if (unshare(CLONE_NEWUSER)) _exit(1);
    if (write(pipefd[1], "x", 1) != 1) _exit(1);
    pause(); /* the parent reads our namespace, then kills us */
    _exit(0);
  }
  char c, path[64], map[64];
  if (read(pipefd[0], &c, 1) != 1) die("idmap child");
  snprintf(map, sizeof map, "%u %u 1\n", from_uid, to_uid);
  snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
  write_file(path, map);
  snprintf(path, sizeof path, "/proc/%d/setgroups", pid);
  write_file(path, "deny");
  snprintf(map, sizeof map, "%u %u 1\n", from_gid, to_gid);
  snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
  write_file(path, map);
  snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open userns");
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  close(pipefd[0]);
  close(pipefd[1]);
  return fd;
}

static void idmapped_bind(const char *src, const char *dst, int userns) {
  int tree = (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0) die("open_tree (id-mapped mounts need Linux >= 5.12)");
  struct mount_attr attr = {.attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (unsigned long long)userns};
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr))
    die("id-mapped mount of the workspace (filesystem without idmap support?)");
  if (syscall(SYS_move_mount, tree, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH)) die("move_mount");
  close(tree);
}

/* One inode per 4 KiB of the size, at least 4096: room for a node_modules tree. */
static unsigned long long inode_budget(const char *bytes) {
  unsigned long long n = strtoull(bytes, NULL, 10) / 4096;
  return n < 4096 ? 4096 : n;
}

static int rlimit_resource(const char *name) {
  if (!strcmp(name, "nproc")) return RLIMIT_NPROC;
  if (!strcmp(name, "data")) return RLIMIT_DATA;
  if (!strcmp(name, "fsize")) return RLIMIT_FSIZE;
  if (!strcmp(name, "cpu")) return RLIMIT_CPU;
  if (!strcmp(name, "nofile")) return RLIMIT_NOFILE;
  if (!strcmp(name, "core")) return RLIMIT_CORE;
  if (!strcmp(name, "msgqueue")) return RLIMIT_MSGQUEUE;
  return -1;
}

int main(int argc, char **argv) {
  const char *state = NULL, *lower = NULL, *idmap = NULL, *disk = "1073741824", *shm = "67108864";
  uid_t uid = getuid();
  gid_t gid = getgid();
  const char *cgroups[8], *tools[64], *rlimits[8];
  int ncg = 0, ntools = 0, nrl = 0, i;
  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--")) break;
    if (i + 1 >= argc) {
      fprintf(stderr, "cl-launch: %s needs a value\n", argv[i]);
      return 125;
    }
    const char *v = argv[++i];
    if (!strcmp(argv[i - 1], "--state")) state = v;
    else if (!strcmp(argv[i - 1], "--lower")) lower = v;
    else if (!strcmp(argv[i - 1], "--uid")) uid = (uid_t)strtoul(v, NULL, 10);
    else if (!strcmp(argv[i - 1], "--gid")) gid = (gid_t)strtoul(v, NULL, 10);
    else if (!strcmp(argv[i - 1], "--idmap-from")) idmap = v;
    else if (!strcmp(argv[i - 1], "--disk")) disk = v;
    else if (!strcmp(argv[i - 1], "--shm")) shm = v;
    else if (!strcmp(argv[i - 1], "--cgroup") && ncg < 8) cgroups[ncg++] = v;
    else if (!strcmp(argv[i - 1], "--tool") && ntools < 64) tools[ntools++] = v;
    else if (!strcmp(argv[i - 1], "--rlimit") && nrl < 8) rlimits[nrl++] = v;
    else {
      fprintf(stderr, "cl-launch: unknown option %s\n", argv[i - 1]);
      return 125;
    }
  }
  if (!state || !lower || i + 1 >= argc) {
    fprintf(stderr, "cl-launch: usage: --state DIR --lower DIR ... -- bwrap ...\n");
    return 125;
  }
  int privileged = geteuid() == 0;

  /* Join the cgroups first, so every process from here on is counted. */
  char pidtext[32];
  snprintf(pidtext, sizeof pidtext, "%d\n", getpid());
  for (int c = 0; c < ncg; c++) write_file(cgroups[c], pidtext);

  if (privileged) {
    if (unshare(CLONE_NEWNS)) die("unshare mount namespace");
  } else {
    /* Unprivileged: a user namespace that maps us to ourselves gives the right to mount. */
    uid_t ruid = getuid();
    gid_t rgid = getgid();
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS)) die("unshare user+mount namespace");
    char map[64];
    snprintf(map, sizeof map, "%u %u 1\n", ruid, ruid);
    write_file("/proc/self/uid_map", map);
    write_file("/proc/self/setgroups", "deny");
    snprintf(map, sizeof map, "%u %u 1\n", rgid, rgid);
    write_file("/proc/self/gid_map", map);
    uid = ruid;
    gid = rgid;
  }
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) die("make mounts private");

  char path[4096], opts[8192], layer[4096];
  snprintf(layer, sizeof layer, "%s/layer", state);
  /* Empty files take no blocks but each costs kernel memory: the inode count is bounded too. */
  snprintf(opts, sizeof opts, "size=%s,nr_inodes=%llu,mode=0700,uid=%u,gid=%u", disk, inode_budget(disk), uid, gid);
  if (mount("closedloop-layer", layer, "tmpfs", MS_NOSUID | MS_NODEV, opts)) die("mount writable layer");
  snprintf(path, sizeof path, "%s/shm", state);
  snprintf(opts, sizeof opts, "size=%s,nr_inodes=%llu,mode=1777,uid=%u,gid=%u", shm, inode_budget(shm), uid, gid);
  if (mount("closedloop-shm", path, "tmpfs", MS_NOSUID | MS_NODEV, opts)) die("mount /dev/shm");
  snprintf(path, sizeof path, "%s/upper", layer);
  mkdir_owned(path, uid, gid, 0755);
  snprintf(path, sizeof path, "%s/work", layer);
  mkdir_owned(path, uid, gid, 0700);
  /* /tmp and $HOME live on the same size-limited tmpfs, so the disk limit is one budget. */
  snprintf(path, sizeof path, "%s/tmp", layer);
  mkdir_owned(path, uid, gid, 0700);
  if (chmod(path, 01777)) die(path);
  snprintf(path, sizeof path, "%s/home", layer);
  mkdir_owned(path, uid, gid, 0700);
  /* bwrap's own root, /dev and /run tmpfs have no size: / and /dev become read-only, and
   * the places that must stay writable (/run, /var/tmp, the hidden .closedloop) live here. */
  snprintf(path, sizeof path, "%s/run", layer);
  mkdir_owned(path, uid, gid, 0755);
  snprintf(path, sizeof path, "%s/var-tmp", layer);
  mkdir_owned(path, uid, gid, 0700);
  if (chmod(path, 01777)) die(path);
  snprintf(path, sizeof path, "%s/hidden", layer);
  mkdir_owned(path, uid, gid, 0700);

  const char *lowerdir = lower;
  char mapped[4096];
  if (privileged && idmap) {
    unsigned fu = 0, fg = 0;
    if (sscanf(idmap, "%u:%u", &fu, &fg) != 2) {
      fprintf(stderr, "cl-launch: --idmap-from wants UID:GID\n");
      return 125;
    }
    snprintf(mapped, sizeof mapped, "%s/lower", state);
    int ns = idmap_userns(fu, fg, uid, gid);
    idmapped_bind(lower, mapped, ns);
    close(ns);
    lowerdir = mapped;
  }
  snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s/upper,workdir=%s/work%s", lowerdir, layer, layer,
           privileged ? "" : ",userxattr");
  snprintf(path, sizeof path, "%s/merged", state);
  if (mount("closedloop", path, "overlay", MS_NOSUID | MS_NODEV, opts)) die("mount overlay over the workspace");

  for (int t = 0; t < ntools; t++) {
    snprintf(path, sizeof path, "%s/tools/%d", state, t);
    if (mount(tools[t], path, NULL, MS_BIND | MS_REC, NULL)) die(tools[t]);
    if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL)) die(tools[t]);
  }

  for (int r = 0; r < nrl; r++) {
    char name[32];
    unsigned long long value;
    if (sscanf(rlimits[r], "%31[a-z]=%llu", name, &value) != 2 || rlimit_resource(name) < 0) {
      fprintf(stderr, "cl-launch: bad --rlimit %s\n", rlimits[r]);
      return 125;
    }
    struct rlimit rl = {.rlim_cur = value, .rlim_max = value};
    if (setrlimit(rlimit_resource(name), &rl)) die(rlimits[r]);
  }

  if (privileged) {
    /* From here on nothing runs as root: an escape lands as an unprivileged uid. */
    if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) die("drop privileges");
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) die("no_new_privs");
  /* Only stdio and the seccomp program (fd 3) go in: any other descriptor the host process
   * inherited from its own parent (a CI runner's pipe, a shell's fd 200) must not. */
  if (syscall(SYS_close_range, 4U, ~0U, 0) != 0)
    for (int fd = 4; fd < 65536; fd++) close(fd);
  execvp(argv[i + 1], argv + i + 1);
  die(argv[i + 1]);
}
