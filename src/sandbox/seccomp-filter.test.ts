import assert from "node:assert/strict";
import { test } from "node:test";
import { buildSeccompFilter, deniedSyscalls } from "./seccomp-filter.ts";

function instructions(bytes: Buffer) {
  const out: Array<{ code: number; jt: number; jf: number; k: number }> = [];
  for (let i = 0; i < bytes.length; i += 8)
    out.push({
      code: bytes.readUInt16LE(i),
      jt: bytes[i + 2]!,
      jf: bytes[i + 3]!,
      k: bytes.readUInt32LE(i + 4),
    });
  return out;
}

test("the x86_64 filter checks the architecture first and kills any other ABI", () => {
  const prog = instructions(buildSeccompFilter("x64"));
  assert.deepEqual(prog[0], { code: 0x20, jt: 0, jf: 0, k: 4 });
  assert.equal(prog[1]?.k, 0xc000003e);
  assert.equal(prog[2]?.k, 0x80000000);
});

test("every denied syscall number appears in a comparison that returns EPERM", () => {
  const prog = instructions(buildSeccompFilter("x64"));
  for (const [name, nr] of [
    ["ptrace", 101],
    ["mount", 165],
    ["bpf", 321],
    ["io_uring_setup", 425],
    ["keyctl", 250],
    ["perf_event_open", 298],
  ] as const) {
    const at = prog.findIndex((p) => p.code === 0x15 && p.k === nr);
    assert.ok(at > 0, `${name} is checked`);
    assert.equal(prog[at + 1]?.k, 0x00050001, `${name} returns EPERM`);
  }
  assert.ok(deniedSyscalls("x64").includes("ptrace"));
});

test("every jump stays inside the program and the program ends by allowing", () => {
  for (const cpu of ["x64", "arm64"]) {
    const prog = instructions(buildSeccompFilter(cpu));
    prog.forEach((p, i) => {
      if ((p.code & 0x07) === 0x05) assert.ok(i + 1 + Math.max(p.jt, p.jf) < prog.length, `jump at ${i}`);
    });
    assert.deepEqual(prog.at(-1), { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 });
  }
});

/** Runs the classic-BPF program on one seccomp_data (x86_64, little endian) and returns its verdict. */
function runFilter(bytes: Buffer, nr: number, args: number[] = []): number {
  const prog = instructions(bytes);
  const data = Buffer.alloc(64);
  data.writeUInt32LE(nr, 0);
  data.writeUInt32LE(0xc000003e, 4);
  for (const [i, a] of args.entries()) data.writeUInt32LE(a >>> 0, 16 + 8 * i);
  let acc = 0;
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, jt, jf, k } = prog[pc]!;
    if (code === 0x20) acc = data.readUInt32LE(k);
    else if (code === 0x06) return k;
    else if (code === 0x15) pc += acc === k >>> 0 ? jt : jf;
    else if (code === 0x35) pc += acc >= k >>> 0 ? jt : jf;
    else if (code === 0x45) pc += (acc & k) !== 0 ? jt : jf;
    else throw new Error(`unexpected BPF instruction ${code.toString(16)} at ${pc}`);
  }
  throw new Error("the program ran off its end");
}

const allow = 0x7fff0000;
const errno = (n: number) => 0x00050000 | n;

test("sockets: AF_UNIX, AF_INET, AF_INET6 and NETLINK_ROUTE open; VSOCK, PACKET, ALG, other netlink do not", () => {
  const bpf = buildSeccompFilter("x64");
  const socket = (domain: number, type: number, protocol: number) =>
    runFilter(bpf, 41, [domain, type, protocol]);
  assert.equal(socket(1, 1, 0), allow);
  assert.equal(socket(2, 1 | 0x80000, 0), allow);
  assert.equal(socket(10, 2, 17), allow);
  assert.equal(socket(16, 3, 0), allow, "netlink route (ip addr, getifaddrs)");
  assert.equal(socket(16, 3, 15), errno(93), "netlink uevent");
  assert.equal(socket(16, 3, 9), errno(93), "netlink audit");
  for (const family of [40, 17, 38, 15, 31, 44, 30, 29, 3, 9]) assert.equal(socket(family, 1, 0), errno(97));
  assert.equal(runFilter(bpf, 53, [1, 1, 0]), allow, "socketpair(AF_UNIX)");
  assert.equal(runFilter(bpf, 53, [40, 1, 0]), errno(97));
});

test("personality may only query or set PER_LINUX, so ASLR cannot be turned off", () => {
  const bpf = buildSeccompFilter("x64");
  assert.equal(runFilter(bpf, 135, [0xffffffff]), allow);
  assert.equal(runFilter(bpf, 135, [0]), allow);
  assert.equal(runFilter(bpf, 135, [0x0040000]), errno(1), "ADDR_NO_RANDOMIZE");
  assert.equal(runFilter(bpf, 135, [0x0008]), errno(1), "PER_LINUX32");
});

test("the argument checks leave ordinary calls alone and the denied ones denied", () => {
  const bpf = buildSeccompFilter("x64");
  assert.equal(runFilter(bpf, 0, [3]), allow, "read");
  assert.equal(runFilter(bpf, 16, [1, 0x5401]), allow, "ioctl TCGETS");
  assert.equal(runFilter(bpf, 16, [1, 0x5412]), errno(1), "ioctl TIOCSTI");
  assert.equal(runFilter(bpf, 101, [16]), errno(1), "ptrace");
  assert.equal(runFilter(bpf, 56, [0x10000000]), errno(1), "clone(CLONE_NEWUSER)");
  assert.equal(runFilter(bpf, 56, [0x11]), allow, "clone(SIGCHLD)");
});

test("an unknown architecture is refused rather than left unfiltered", () => {
  assert.throws(() => buildSeccompFilter("mips"), /no seccomp syscall table/);
});
