// The host side of the agent channel against what a compromised or broken agent could send:
// well-formed streams split anywhere, frames too short or too long for their type, frames
// for commands that are not running, huge length fields, and random bytes (a seeded fuzz).
// Nothing may throw out of the channel, every command must settle, and the bytes held for
// an incomplete frame stay below one frame.
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { AgentChannel, type AgentExit, type AgentProcess } from "./agent-channel.ts";
import { encodeFrame, frameHeaderBytes, maxDataPayload } from "./agent-frames.ts";
import { SandboxProtocolError } from "./errors.ts";

function open() {
  const input = new PassThrough();
  const output = new PassThrough();
  const channel = new AgentChannel(input, output);
  const failures: SandboxProtocolError[] = [];
  channel.onProtocolError((e) => failures.push(e));
  // Emitting "data" ourselves runs the channel's handler synchronously: a throw would land here.
  const feed = (bytes: Buffer) => output.emit("data", bytes);
  return { channel, output, feed, failures };
}

function exitPayload(code: number, signal = 0, bytes = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(code, 0);
  b.writeUInt32LE(signal, 4);
  b.writeBigUInt64LE(BigInt(bytes), 8);
  return b;
}

function spawnOne(channel: AgentChannel, out: Buffer[] = [], outputCap = 1 << 20): AgentProcess {
  return channel.spawn({ argv: ["true"], env: {}, cwd: "/", outputCap, onStdout: (c) => out.push(c) });
}

type Settled = { exit: AgentExit } | { error: unknown } | "pending";

async function settled(p: Promise<AgentExit>): Promise<Settled> {
  return Promise.race([
    p.then(
      (exit) => ({ exit }),
      (error: unknown) => ({ error }),
    ),
    new Promise<"pending">((r) => setTimeout(() => r("pending"), 50)),
  ]);
}

/** Tiny deterministic PRNG (mulberry32), so a failing case can be replayed from its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("a well-formed stream gives the same result however it is split", async () => {
  const stream = Buffer.concat([
    encodeFrame("R", 0),
    encodeFrame("P", 1, Buffer.from([7, 0, 0, 0])),
    encodeFrame("O", 1, Buffer.from("hello ")),
    encodeFrame("O", 1, Buffer.from("world")),
    encodeFrame("X", 1, exitPayload(3, 0, 11)),
  ]);
  for (let cut = 0; cut <= stream.length; cut += 3) {
    const { channel, feed, failures } = open();
    const out: Buffer[] = [];
    const proc = spawnOne(channel, out);
    for (let i = 0; i < stream.length; i += cut || stream.length)
      feed(stream.subarray(i, i + (cut || stream.length)));
    const r = await settled(proc.exited);
    assert.deepEqual(r, { exit: { exitCode: 3, signal: null, outputBytes: 11 } }, `cut every ${cut} bytes`);
    assert.equal(Buffer.concat(out).toString(), "hello world");
    assert.equal(failures.length, 0);
  }
});

test("an exit frame shorter than its type needs is a protocol error, not a RangeError", async () => {
  const { channel, feed, failures } = open();
  const proc = spawnOne(channel);
  feed(Buffer.concat([encodeFrame("R", 0), encodeFrame("X", 1, Buffer.alloc(3))]));
  const r = await settled(proc.exited);
  assert.ok(
    "error" in (r as object) && SandboxProtocolError.isInstance((r as { error: unknown }).error),
    JSON.stringify(r),
  );
  assert.match(failures[0]!.message, /'X' frame of 3 bytes/);
  assert.equal(channel.isOpen, false);
});

test("a header that claims 4 GiB is refused at once and nothing is buffered", async () => {
  const { channel, feed, failures } = open();
  const proc = spawnOne(channel);
  const head = Buffer.alloc(frameHeaderBytes);
  head.write("O", 0, "latin1");
  head.writeUInt32LE(1, 1);
  head.writeUInt32LE(0xffffffff, 5);
  feed(head);
  for (let i = 0; i < 64; i++) feed(Buffer.alloc(1 << 16, 0x41)); // what would have been "the payload"
  assert.equal(channel.bufferedBytes, 0);
  assert.equal(failures.length, 1, "one failure, reported once");
  assert.ok(SandboxProtocolError.isInstance(((await settled(proc.exited)) as { error: unknown }).error));
});

test("frames for a command that is not running, or forged exits, end the sandbox", async () => {
  const cases: Array<[string, Buffer]> = [
    ["unknown id", encodeFrame("X", 99, exitPayload(0))],
    ["second ready", encodeFrame("R", 0)],
    ["exit code and signal", encodeFrame("X", 1, exitPayload(0, 9))],
    ["exit code out of range", encodeFrame("X", 1, exitPayload(256))],
    [
      "fewer output bytes than were sent",
      Buffer.concat([encodeFrame("O", 1, Buffer.from("abc")), encodeFrame("X", 1, exitPayload(0, 0, 1))]),
    ],
    ["more output than the cap", encodeFrame("O", 1, Buffer.alloc(20))],
    ["unknown type", encodeFrame("Z", 1)],
    ["a host-to-agent type", encodeFrame("S", 1)],
  ];
  for (const [name, bytes] of cases) {
    const { channel, feed, failures } = open();
    const proc = spawnOne(channel, [], 10);
    feed(Buffer.concat([encodeFrame("R", 0), bytes]));
    const r = await settled(proc.exited);
    assert.ok(
      typeof r === "object" && "error" in r && SandboxProtocolError.isInstance(r.error),
      `${name}: ${JSON.stringify(r)}`,
    );
    assert.equal(failures.length, 1, name);
    // A sandbox that broke the protocol runs nothing more.
    const next = await settled(spawnOne(channel).exited);
    assert.ok(typeof next === "object" && "error" in next, `${name}: a later command must fail too`);
  }
});

test("fuzz: random, truncated and oversized frames never throw, hang or grow the buffer", async () => {
  const types = ["R", "P", "O", "e", "C", "X", "F", "Z", "\0", "S"];
  for (let seed = 1; seed <= 400; seed++) {
    const rand = random(seed);
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
    const { channel, output, feed } = open();
    const procs = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => spawnOne(channel, [], 1 << 16));
    const parts: Buffer[] = [encodeFrame("R", 0)];
    for (let n = Math.floor(rand() * 12); n > 0; n--) {
      const kind = rand();
      if (kind < 0.15)
        parts.push(
          Buffer.from(Array.from({ length: Math.floor(rand() * 40) }, () => Math.floor(rand() * 256))),
        );
      else {
        const sizes = [0, 1, 3, 4, 15, 16, 17, 100, maxDataPayload, maxDataPayload + 1];
        const len = pick(sizes);
        const f = encodeFrame(
          pick(types),
          Math.floor(rand() * 6),
          Buffer.alloc(len, Math.floor(rand() * 256)),
        );
        if (rand() < 0.1) f.writeUInt32LE(Math.floor(rand() * 0xffffffff), 5); // a lying length
        parts.push(rand() < 0.2 ? f.subarray(0, Math.floor(rand() * f.length)) : f); // truncated
      }
    }
    const stream = Buffer.concat(parts);
    for (let i = 0; i < stream.length; ) {
      const step = 1 + Math.floor(rand() * 5000);
      assert.doesNotThrow(() => feed(stream.subarray(i, i + step)), `seed ${seed}`);
      assert.ok(
        channel.bufferedBytes <= frameHeaderBytes + maxDataPayload,
        `seed ${seed}: held ${channel.bufferedBytes}`,
      );
      i += step;
    }
    output.emit("close"); // the sandbox ends: whatever was still running must settle now
    for (const p of procs) {
      const r = await settled(p.exited);
      assert.notEqual(r, "pending", `seed ${seed}: a command never settled`);
      if (typeof r === "object" && "error" in r)
        assert.ok(SandboxProtocolError.isInstance(r.error), `seed ${seed}: ${String(r.error)}`);
    }
  }
});
