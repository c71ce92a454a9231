// Relays that could crash the host (issue 9, item 6): an allowed upstream answering
// `HTTP/1.1 000 …` killed the CLI with ERR_HTTP_INVALID_STATUS_CODE, thrown from the egress
// proxy's response handler. The upstreams here are raw TCP servers on the host's 127.0.0.1
// (garbage-upstream.ts) named by an explicit rule; the sandbox asks for every kind of broken
// answer, plain and through a CONNECT tunnel, then for a good one. The attack wins if
// anything escaped as an uncaught exception or rejection in this (the host) process, or if
// the relay stopped working for the next, well-formed request.
import type { NetEvent } from "../../src/sandbox/index.ts";
import type { Attack, AttackContext, AttackOutcome } from "./attack-context.ts";
import { summarize } from "./attack-helpers.ts";
import { garbageModes, startGarbageUpstream } from "./garbage-upstream.ts";

/** Runs `body`, catching whatever it lets escape to the process as uncaught. */
async function catchingUncaught<T>(body: () => Promise<T>): Promise<{ value: T; uncaught: string[] }> {
  const uncaught: string[] = [];
  const onError = (error: unknown) =>
    uncaught.push(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  process.on("uncaughtException", onError);
  process.on("unhandledRejection", onError);
  try {
    const value = await body();
    // Late failures (a response handler firing after the command returned) count too.
    await new Promise((r) => setTimeout(r, 300));
    return { value, uncaught };
  } finally {
    process.off("uncaughtException", onError);
    process.off("unhandledRejection", onError);
  }
}

async function garbageOutcome(ctx: AttackContext, via: "proxy" | "host-port"): Promise<AttackOutcome> {
  const upstream = await startGarbageUpstream();
  const events: NetEvent[] = [];
  try {
    const base = `http://127.0.0.1:${upstream.port}`;
    // NO_PROXY names 127.0.0.1 (the sandbox's own loopback): --noproxy '' sends it to the proxy anyway.
    const proxied = via === "proxy" ? "--noproxy '' -x \"$HTTP_PROXY\"" : "";
    const curl = (extra: string, mode: string) =>
      `printf '%s ' ${mode}; curl -s -o /dev/null -m 3 ${extra} -w '%{http_code}\\n' ${base}/${mode}`;
    const script = [
      ...garbageModes.map((m) => curl(proxied, m)),
      ...(via === "proxy" ? garbageModes.slice(0, 4).map((m) => curl(`-p ${proxied}`, m)) : []),
      `echo "good: $(curl -s -m 5 ${proxied} ${base}/good)"`,
    ].join("; ");
    const { value: r, uncaught } = await catchingUncaught(async () => {
      const sb = await ctx.sandbox(
        via === "proxy"
          ? { allowNet: [`127.0.0.1:${upstream.port}`], onNetEvent: (e) => events.push(e) }
          : { allowHostPorts: [upstream.port], onNetEvent: (e) => events.push(e) },
      );
      return ctx.sh(sb, script, { timeoutMs: 60_000 });
    });
    const codes = [...r.stdout.matchAll(/^([a-z0-9-]+) (\d{3})$/gm)].map((m) => `${m[1]}=${m[2]}`);
    if (codes.length === 0) throw new Error(`the requests did not run: ${summarize(r)}`);
    const stillWorks = /^good: ok$/m.test(r.stdout);
    const failedEvents = events.filter((e) => e.decision === "failed").length;
    return {
      escaped: uncaught.length > 0 || !stillWorks,
      evidence:
        uncaught.length > 0
          ? `the host process threw: ${uncaught.join("; ").slice(0, 200)}`
          : `${stillWorks ? "relay still works" : "relay dead afterwards"}; ${failedEvents} failed net events; ${codes.join(" ")}`,
    };
  } finally {
    await upstream.close();
  }
}

export const relayErrorAttacks: Attack[] = [
  {
    id: "proxy-garbage-upstream",
    category: "network",
    title:
      "an allowed upstream answering status 000, 999, no status line, a huge head, a reset or a slow loris does not crash the host",
    run: (ctx) => garbageOutcome(ctx, "proxy"),
  },
  {
    id: "host-port-garbage-upstream",
    category: "network",
    title: "an allowed host port answering garbage or resetting does not crash the host or its bridge",
    run: (ctx) => garbageOutcome(ctx, "host-port"),
  },
];
