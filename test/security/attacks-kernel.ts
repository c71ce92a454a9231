// Device and kernel attack surface. Each probe passes arguments the kernel rejects only
// after its privilege check (see fixtures/probe.c), so a probe that gets through on the
// unsandboxed backend proves the permission was there without doing anything with it.
import { existsSync, statSync } from "node:fs";
import type { Attack, AttackCategory } from "./attack-context.ts";
import { probeOutcome, summarize } from "./attack-helpers.ts";

/** The first block device the host has, for the raw-disk attacks. */
function hostDisk(): { path: string; major: number; minor: number } {
  for (const path of ["/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/xvda"]) {
    if (!existsSync(path)) continue;
    const rdev = statSync(path).rdev;
    return { path, major: Math.floor(rdev / 256) & 0xfff, minor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00) };
  }
  return { path: "/dev/vda", major: 254, minor: 0 };
}

function syscallProbe(
  id: string,
  category: AttackCategory,
  title: string,
  args: (string | number)[],
): Attack {
  return { id, category, title, run: (ctx) => probeOutcome(ctx, args) };
}

export const deviceAttacks: Attack[] = [
  syscallProbe("dev-kvm", "devices", "/dev/kvm cannot be opened", ["readdev", "/dev/kvm", 1, 0]),
  {
    id: "dev-mem",
    category: "devices",
    title: "/dev/mem, /dev/kmem and /dev/port cannot be opened",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const r = await ctx.sh(
        sb,
        ["/dev/mem", "/dev/kmem", "/dev/port"]
          .map((d) => ctx.payload("probe", "readdev", d, 0, 0))
          .join("; "),
      );
      return { escaped: /^ok:/m.test(r.stdout), evidence: summarize(r) };
    },
  },
  {
    id: "raw-disk",
    category: "devices",
    title: "the host's raw disk cannot be read",
    run: (ctx) => probeOutcome(ctx, ["readdev", hostDisk().path, 0, 512]),
  },
  {
    id: "mknod-disk",
    category: "devices",
    title: "a device node for the host's disk made with mknod cannot be read",
    run(ctx) {
      const d = hostDisk();
      return probeOutcome(ctx, ["mknod", "./disk-node", d.major, d.minor]);
    },
  },
  syscallProbe("proc-kcore", "devices", "/proc/kcore cannot be read", ["readdev", "/proc/kcore", 0, 64]),
  syscallProbe("write-proc-sys", "devices", "/proc/sys cannot be written", [
    "rewrite",
    "/proc/sys/kernel/printk_ratelimit",
  ]),
  syscallProbe("write-sys", "devices", "/sys cannot be written", [
    "rewrite",
    "/sys/kernel/mm/ksm/sleep_millisecs",
  ]),
];

export const kernelAttacks: Attack[] = [
  {
    id: "mount-tmpfs",
    category: "kernel",
    title: "a tmpfs cannot be mounted",
    run: (ctx) => probeOutcome(ctx, ["mount", "tmpfs", "./mnt", "-"], {}, "mkdir -p mnt; "),
  },
  {
    id: "mount-bind",
    category: "kernel",
    title: "the root filesystem cannot be bind-mounted into the workspace",
    run: (ctx) => probeOutcome(ctx, ["mount", "bind", "./mnt", "/"], {}, "mkdir -p mnt; "),
  },
  {
    id: "mount-proc",
    category: "kernel",
    title: "a new proc filesystem cannot be mounted",
    run: (ctx) => probeOutcome(ctx, ["mount", "proc", "./mnt", "-"], {}, "mkdir -p mnt; "),
  },
  {
    id: "userns-unshare-command",
    category: "kernel",
    title: "unshare -U cannot create a nested user namespace",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const r = await ctx.sh(sb, "unshare -U -r sh -c 'echo nested-root-$(id -u)'");
      const nested = /nested-root-0/.test(r.stdout);
      return { escaped: nested, evidence: summarize(r) };
    },
  },
  syscallProbe("userns-syscall", "kernel", "unshare(CLONE_NEWUSER) is refused", ["userns"]),
  syscallProbe("io-uring", "kernel", "io_uring_setup is refused", ["io_uring"]),
  syscallProbe("bpf", "kernel", "bpf() cannot create a map", ["bpf"]),
  syscallProbe("perf-event-open", "kernel", "perf_event_open is refused", ["perf"]),
  syscallProbe("keyctl", "kernel", "keyctl cannot reach the user keyring", ["keyctl"]),
  syscallProbe("kexec-load", "kernel", "kexec_load is refused before its argument checks", ["kexec"]),
  syscallProbe("kernel-module", "kernel", "finit_module is refused before its argument checks", ["module"]),
  syscallProbe("userfaultfd", "kernel", "userfaultfd is refused", ["userfaultfd"]),
  syscallProbe("x32-abi", "kernel", "x32 ABI system calls are refused", ["x32"]),
  syscallProbe("open-by-handle", "kernel", "open_by_handle_at (the 'shocker' escape) is refused", [
    "shocker",
    "/etc/hostname",
  ]),
  {
    id: "setns-host",
    category: "kernel",
    title: "setns cannot join the host's mount namespace",
    run: (ctx) => probeOutcome(ctx, ["setns", process.pid]),
  },
  {
    id: "sethostname",
    category: "kernel",
    title: "the host name cannot be changed (even to itself)",
    run: (ctx) => probeOutcome(ctx, ["sethostname"]),
  },
  {
    id: "sysv-ipc",
    category: "kernel",
    title: "a host SysV shared memory segment is not reachable",
    run: (ctx) => probeOutcome(ctx, ["sysv", ctx.hostSysvKey()]),
  },
];
