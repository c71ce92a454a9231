// Small pieces most attacks share: run a payload and read its verdict, summarize what a
// command said, and ask the host whether a token reached one of its servers.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { ExecResult, SandboxPolicy } from "../../src/sandbox/index.ts";
import type { AttackContext, AttackOutcome } from "./attack-context.ts";

export function summarize(r: ExecResult): string {
  const text = `${r.stdout}\n${r.stderr}`.replace(/\s+/g, " ").trim();
  const end = r.timedOut ? "timed out" : r.signal ? `signal ${r.signal}` : `exit ${r.exitCode}`;
  return `${end}: ${text.slice(0, 240)}`;
}

export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Throws when a payload's output shows it never ran (not found, not executable, exec
 * failed): an attack that could not even start must fail the battery, not pass it.
 */
export function assertPayloadRan(r: ExecResult, expected: RegExp): void {
  if (!expected.test(r.stdout)) throw new Error(`the payload did not run: ${summarize(r)}`);
}

/** Runs one probe mode; "ok:" on stdout with exit 0 means the kernel let it through. */
export async function probeOutcome(
  ctx: AttackContext,
  args: (string | number)[],
  policy: Partial<SandboxPolicy> = {},
  prelude = "",
): Promise<AttackOutcome> {
  const sb = await ctx.sandbox(policy);
  const r = await ctx.sh(sb, `${prelude}${ctx.payload("probe", ...args)}`);
  assertPayloadRan(r, /^(ok|denied):/m);
  return { escaped: r.exitCode === 0 && /^ok:/m.test(r.stdout), evidence: summarize(r) };
}

/** Runs a command, then asks the host's servers whether this attack's token arrived. */
export async function reachOutcome(
  ctx: AttackContext,
  command: string,
  policy: Partial<SandboxPolicy> = {},
): Promise<AttackOutcome> {
  const sb = await ctx.sandbox(policy);
  const r = await ctx.sh(sb, command, { timeoutMs: 15_000 });
  await pause(100);
  const seen = ctx.fixture.sawToken(ctx.token);
  const where = seen.map((h) => h.split(":")[0]).join(", ");
  return {
    escaped: seen.length > 0,
    evidence:
      seen.length > 0
        ? `host server(s) got the token: ${where}`
        : `nothing reached the host; ${summarize(r)}`,
  };
}

/** Runs a command and reports whether its output carries the planted secret. */
export async function leakOutcome(
  ctx: AttackContext,
  command: string,
  policy: Partial<SandboxPolicy> = {},
): Promise<AttackOutcome> {
  const sb = await ctx.sandbox(policy);
  const r = await ctx.sh(sb, command);
  const leaked = `${r.stdout}${r.stderr}`.includes(ctx.fixture.secretToken);
  return { escaped: leaked, evidence: leaked ? "the planted secret was read" : summarize(r) };
}

/** Last number printed after `label` (payloads print progress as they go). */
export function lastNumber(text: string, label: string): number {
  const all = [...text.matchAll(new RegExp(`${label} (\\d+)`, "g"))];
  const last = all.at(-1)?.[1];
  return last === undefined ? 0 : Number(last);
}

let gcFn: (() => void) | undefined;

/**
 * Bytes the host process holds on to after a full garbage collection (heap + buffers):
 * what a flood really retained, as opposed to garbage not yet collected.
 */
export function retainedBytes(): number {
  if (!gcFn) {
    setFlagsFromString("--expose-gc");
    gcFn = runInNewContext("gc") as () => void;
  }
  gcFn();
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

/** Single-quotes a value for /bin/sh. */
export function q(value: string | number): string {
  return `'${String(value).replaceAll("'", "'\\''")}'`;
}
