// Builds the classic-BPF seccomp program that bubblewrap loads (`--seccomp FD`) before it
// runs the sandbox agent; every command inherits it. Written out by hand rather than
// through libseccomp so there is no native dependency: the program is a short list of
// "if syscall == N return EPERM" checks plus argument checks for clone/unshare (no new
// namespaces), ioctl (no TIOCSTI terminal injection), socket/socketpair (only the address
// families a build or test needs) and personality (ASLR stays on).
import { arch } from "node:os";

const ldAbs = 0x20; // BPF_LD | BPF_W | BPF_ABS
const jeq = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const jge = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const jset = 0x45; // BPF_JMP | BPF_JSET | BPF_K
const ret = 0x06; // BPF_RET | BPF_K

const retAllow = 0x7fff0000;
const retKill = 0x80000000; // SECCOMP_RET_KILL_PROCESS
const retErrno = (errno: number) => 0x00050000 | errno;
const EPERM = 1;
const ENOSYS = 38;
const EPROTONOSUPPORT = 93;
const EAFNOSUPPORT = 97;

// Address families code in a sandbox may open. Everything else (AF_VSOCK to the hypervisor,
// AF_PACKET, AF_ALG's kernel crypto, AF_KEY, AF_BLUETOOTH, AF_XDP, AF_TIPC …) is a kernel
// surface no build or test needs; it gets "family not supported", as on a kernel without it.
const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;
/** The only netlink protocol allowed: `ip addr` and getifaddrs() inside the sandbox's own netns. */
const NETLINK_ROUTE = 0;
// personality(): only PER_LINUX (0) and the query (0xffffffff); ADDR_NO_RANDOMIZE and friends
// would turn ASLR off for whatever runs next.
const PER_LINUX = 0;
const PER_QUERY = 0xffffffff;

// seccomp_data: nr at 0, arch at 4, args[i] at 16 + 8 i (low 32 bits first on little endian).
const offNr = 0;
const offArch = 4;
const offArg = (i: number) => 16 + 8 * i;

// CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME
const namespaceFlags = 0x7e020080;
const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;

interface ArchTable {
  auditArch: number;
  /** Syscall numbers at or above this belong to another ABI (x32) and are refused. */
  abiLimit?: number;
  clone: number;
  clone3: number;
  unshare: number;
  ioctl: number;
  socket: number;
  socketpair: number;
  personality: number;
  denied: Record<string, number>;
}

const x86_64: ArchTable = {
  auditArch: 0xc000003e,
  abiLimit: 0x40000000,
  clone: 56,
  clone3: 435,
  unshare: 272,
  ioctl: 16,
  socket: 41,
  socketpair: 53,
  personality: 135,
  denied: {
    ptrace: 101,
    process_vm_readv: 310,
    process_vm_writev: 311,
    pidfd_getfd: 438,
    mount: 165,
    umount2: 166,
    pivot_root: 155,
    open_tree: 428,
    move_mount: 429,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    fspick: 433,
    mount_setattr: 442,
    setns: 308,
    swapon: 167,
    swapoff: 168,
    reboot: 169,
    init_module: 175,
    finit_module: 313,
    delete_module: 176,
    kexec_load: 246,
    kexec_file_load: 320,
    bpf: 321,
    perf_event_open: 298,
    keyctl: 250,
    add_key: 248,
    request_key: 249,
    userfaultfd: 323,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
    open_by_handle_at: 304,
    name_to_handle_at: 303,
    acct: 163,
    quotactl: 179,
    syslog: 103,
    lookup_dcookie: 212,
    iopl: 172,
    ioperm: 173,
    uselib: 134,
    vhangup: 153,
    _sysctl: 156,
  },
};

const aarch64: ArchTable = {
  auditArch: 0xc00000b7,
  clone: 220,
  clone3: 435,
  unshare: 97,
  ioctl: 29,
  socket: 198,
  socketpair: 199,
  personality: 92,
  denied: {
    ptrace: 117,
    process_vm_readv: 270,
    process_vm_writev: 271,
    pidfd_getfd: 438,
    mount: 40,
    umount2: 39,
    pivot_root: 41,
    open_tree: 428,
    move_mount: 429,
    fsopen: 430,
    fsconfig: 431,
    fsmount: 432,
    fspick: 433,
    mount_setattr: 442,
    setns: 268,
    swapon: 224,
    swapoff: 225,
    reboot: 142,
    init_module: 105,
    finit_module: 273,
    delete_module: 106,
    kexec_load: 104,
    kexec_file_load: 294,
    bpf: 280,
    perf_event_open: 241,
    keyctl: 219,
    add_key: 217,
    request_key: 218,
    userfaultfd: 282,
    io_uring_setup: 425,
    io_uring_enter: 426,
    io_uring_register: 427,
    open_by_handle_at: 265,
    name_to_handle_at: 264,
    acct: 89,
    quotactl: 60,
    syslog: 116,
    vhangup: 58,
  },
};

const tables: Record<string, ArchTable> = { x64: x86_64, arm64: aarch64 };

/** The syscalls the filter refuses, by name (for documentation and tests). */
export function deniedSyscalls(cpu: string = arch()): string[] {
  const table = tables[cpu];
  return table
    ? [
        ...Object.keys(table.denied),
        "clone3",
        "clone/unshare with namespace flags",
        "ioctl TIOCSTI/TIOCLINUX",
        "socket/socketpair outside AF_UNIX, AF_INET, AF_INET6 and NETLINK_ROUTE",
        "personality other than PER_LINUX",
      ]
    : [];
}

export function isSeccompSupported(cpu: string = arch()): boolean {
  return cpu in tables;
}

type Insn = [code: number, jt: number, jf: number, k: number];

/** The filter as the bytes of a `struct sock_filter[]`, ready to hand to bwrap. */
export function buildSeccompFilter(cpu: string = arch()): Buffer {
  const table = tables[cpu];
  if (!table) throw new Error(`no seccomp syscall table for CPU architecture ${cpu}`);
  const prog: Insn[] = [];
  // Any other ABI on this kernel (e.g. i386 via int 0x80) is killed outright.
  prog.push([ldAbs, 0, 0, offArch]);
  prog.push([jeq, 1, 0, table.auditArch]);
  prog.push([ret, 0, 0, retKill]);
  prog.push([ldAbs, 0, 0, offNr]);
  if (table.abiLimit !== undefined) {
    prog.push([jge, 0, 1, table.abiLimit]);
    prog.push([ret, 0, 0, retErrno(EPERM)]);
  }
  for (const nr of Object.values(table.denied)) {
    prog.push([jeq, 0, 1, nr]);
    prog.push([ret, 0, 0, retErrno(EPERM)]);
  }
  // clone3 passes flags in memory the filter cannot read: say "not implemented" so libc
  // falls back to clone, whose flags we can check.
  prog.push([jeq, 0, 1, table.clone3]);
  prog.push([ret, 0, 0, retErrno(ENOSYS)]);
  for (const nr of [table.clone, table.unshare]) {
    prog.push([jeq, 0, 4, nr]);
    prog.push([ldAbs, 0, 0, offArg(0)]);
    prog.push([jset, 0, 1, namespaceFlags]);
    prog.push([ret, 0, 0, retErrno(EPERM)]);
    prog.push([ret, 0, 0, retAllow]);
  }
  // socket(domain, type, protocol): the allowed families, netlink only for routing.
  prog.push([jeq, 0, 10, table.socket]);
  prog.push([ldAbs, 0, 0, offArg(0)]);
  prog.push([jeq, 5, 0, AF_UNIX]);
  prog.push([jeq, 4, 0, AF_INET]);
  prog.push([jeq, 3, 0, AF_INET6]);
  prog.push([jeq, 0, 4, AF_NETLINK]);
  prog.push([ldAbs, 0, 0, offArg(2)]);
  prog.push([jeq, 0, 1, NETLINK_ROUTE]);
  prog.push([ret, 0, 0, retAllow]);
  prog.push([ret, 0, 0, retErrno(EPROTONOSUPPORT)]);
  prog.push([ret, 0, 0, retErrno(EAFNOSUPPORT)]);
  // socketpair only makes sense for AF_UNIX.
  prog.push([jeq, 0, 4, table.socketpair]);
  prog.push([ldAbs, 0, 0, offArg(0)]);
  prog.push([jeq, 0, 1, AF_UNIX]);
  prog.push([ret, 0, 0, retAllow]);
  prog.push([ret, 0, 0, retErrno(EAFNOSUPPORT)]);
  prog.push([jeq, 0, 5, table.personality]);
  prog.push([ldAbs, 0, 0, offArg(0)]);
  prog.push([jeq, 1, 0, PER_LINUX]);
  prog.push([jeq, 0, 1, PER_QUERY]);
  prog.push([ret, 0, 0, retAllow]);
  prog.push([ret, 0, 0, retErrno(EPERM)]);
  prog.push([jeq, 0, 4, table.ioctl]);
  prog.push([ldAbs, 0, 0, offArg(1)]);
  prog.push([jeq, 1, 0, TIOCSTI]);
  prog.push([jeq, 0, 1, TIOCLINUX]);
  prog.push([ret, 0, 0, retErrno(EPERM)]);
  prog.push([ret, 0, 0, retAllow]);

  const out = Buffer.alloc(prog.length * 8);
  prog.forEach(([code, jt, jf, k], i) => {
    out.writeUInt16LE(code, i * 8);
    out.writeUInt8(jt, i * 8 + 2);
    out.writeUInt8(jf, i * 8 + 3);
    out.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return out;
}
