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

test("an unknown architecture is refused rather than left unfiltered", () => {
  assert.throws(() => buildSeccompFilter("mips"), /no seccomp syscall table/);
});
