// Network attacks. Every target is owned by the battery: the "outside host" lives in a
// network namespace made for the run (198.18.0.0/15), the other services listen on the
// host's loopback or on unix sockets in the battery's temp dir. Success is decided by
// the host-side server that received the attack's token, not by the attack's claims.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Attack } from "./attack-context.ts";
import { probeOutcome, q, reachOutcome, summarize } from "./attack-helpers.ts";

const curl = (url: string, extra = "") => `curl -sS -m 3 ${extra} ${q(url)} 2>&1`;

export const networkAttacks: Attack[] = [
  {
    id: "outside-host",
    category: "network",
    title: "an outside host is unreachable with the default policy",
    run(ctx) {
      const { address, port } = ctx.fixture.netns;
      return reachOutcome(
        ctx,
        `${ctx.payload("probe", "tcp", address, port, ctx.token)}; ${curl(`http://${address}:${port}/${ctx.token}`)}`,
      );
    },
  },
  {
    id: "proxy-raw-ip",
    category: "network",
    title: "with an allowNet rule, a raw IP is refused through the proxy and unreachable around it",
    run(ctx) {
      const { address, port } = ctx.fixture.netns;
      const url = `http://${address}:${port}/${ctx.token}`;
      return reachOutcome(
        ctx,
        `${curl(url, '-x "$HTTP_PROXY"')}; ${curl(url, '-p -x "$HTTPS_PROXY"')}; ${curl(url, "--noproxy '*'")}; ${ctx.payload("probe", "tcp", address, port, ctx.token)}`,
        { allowNet: ["allowed.cl-sec.invalid"] },
      );
    },
  },
  {
    id: "proxy-loopback-name",
    category: "network",
    title:
      "an allowed name (with its port) that resolves to loopback does not open the host's loopback through the proxy",
    run(ctx) {
      const name = ctx.fixture.loopbackName;
      const port = ctx.fixture.ports.forbidden;
      const { address, port: outsidePort } = ctx.fixture.netns;
      const url = `http://${name}:${port}/${ctx.token}`;
      // The rules name the host and the port, so only the proxy's address check stands in the
      // way; the smuggled Host header checks that the proxy connects to what it checked.
      return reachOutcome(
        ctx,
        [
          curl(url, '-x "$HTTP_PROXY"'),
          curl(url, '-p -x "$HTTPS_PROXY"'),
          curl(`http://localhost:${port}/${ctx.token}`, '-x "$HTTP_PROXY"'),
          curl(url, `-x "$HTTP_PROXY" -H ${q(`Host: ${address}:${outsidePort}`)}`),
        ].join("; "),
        { allowNet: [`${name}:${port}`, `localhost:${port}`] },
      );
    },
  },
  {
    id: "host-loopback",
    category: "network",
    title: "a service on the host's 127.0.0.1 and ::1 is unreachable",
    run(ctx) {
      const { forbidden, ipv6 } = ctx.fixture.ports;
      return reachOutcome(
        ctx,
        `${ctx.payload("probe", "tcp", "127.0.0.1", forbidden, ctx.token)}; ${ctx.payload("probe", "tcp", "::1", ipv6, ctx.token)}`,
      );
    },
  },
  {
    id: "host-port-allowlist",
    category: "network",
    title: "allowHostPorts opens exactly the named host port and no other",
    async run(ctx) {
      const { allowed, forbidden } = ctx.fixture.ports;
      const sb = await ctx.sandbox({ allowHostPorts: [allowed] });
      const ok = await ctx.sh(sb, ctx.payload("probe", "tcp", "127.0.0.1", allowed, `${ctx.token}-allowed`));
      const allowedWorks = ctx.fixture.sawToken(`${ctx.token}-allowed`).length > 0;
      const r = await ctx.sh(sb, ctx.payload("probe", "tcp", "127.0.0.1", forbidden, ctx.token));
      const leaked = ctx.fixture.sawToken(ctx.token).some((h) => h.startsWith("forbidden:"));
      if (!allowedWorks) throw new Error(`the allowed host port ${allowed} did not work: ${summarize(ok)}`);
      return {
        escaped: leaked,
        evidence: leaked
          ? `port ${forbidden} was reachable too`
          : `allowed port works; other: ${summarize(r)}`,
      };
    },
  },
  {
    id: "dns-resolver",
    category: "network",
    title: "a DNS query cannot reach a resolver on the host's loopback",
    run(ctx) {
      return reachOutcome(ctx, ctx.payload("probe", "udp", "127.0.0.1", ctx.fixture.ports.dns, ctx.token));
    },
  },
  {
    id: "unix-socket",
    category: "network",
    title: "a host unix socket (in a temp dir, or under /run) cannot be connected to",
    run(ctx) {
      const scan = `for s in $(find /run /var/run -maxdepth 4 -type s 2>/dev/null | head -20); do ${ctx.payload("probe", "unix", "$s", ctx.token).replace("'$s'", '"$s"')}; done`;
      return reachOutcome(ctx, `${ctx.payload("probe", "unix", ctx.fixture.unixSocket, ctx.token)}; ${scan}`);
    },
  },
  {
    id: "abstract-socket",
    category: "network",
    title: "a host abstract unix socket cannot be connected to",
    run: (ctx) => reachOutcome(ctx, ctx.payload("probe", "abstract", ctx.fixture.abstractName, ctx.token)),
  },
  {
    id: "netlink-route",
    category: "network",
    title: "netlink cannot add a link or route that the host sees",
    async run(ctx) {
      const link = `clsd${process.pid % 100000}`;
      const sb = await ctx.sandbox();
      const r = await ctx.sh(
        sb,
        `PATH="$PATH:/usr/sbin:/sbin"; ip link add ${link} type dummy && echo link-added; ip route add 198.19.255.252/30 dev lo && echo route-added`,
      );
      const onHost = spawnSync("ip", ["link", "show", link]).status === 0;
      const routeOnHost = spawnSync("ip", ["route", "show", "198.19.255.252/30"], {
        encoding: "utf8",
      }).stdout.trim();
      spawnSync("ip", ["link", "del", link]);
      if (routeOnHost) spawnSync("ip", ["route", "del", "198.19.255.252/30"]);
      const inside = /added/.test(r.stdout);
      return {
        escaped: onHost || routeOnHost !== "" || inside,
        evidence: onHost || routeOnHost ? "the host's network config changed" : summarize(r),
      };
    },
  },
  {
    id: "raw-socket",
    category: "network",
    title: "raw and packet sockets cannot be opened",
    run: (ctx) => probeOutcome(ctx, ["rawsock"]),
  },
  {
    id: "host-interfaces",
    category: "network",
    title: "the host's network interfaces are not visible",
    async run(ctx) {
      const sb = await ctx.sandbox();
      const r = await ctx.sh(sb, "cat /proc/net/dev");
      const hostIfs = readFileSync("/proc/net/dev", "utf8")
        .split("\n")
        .slice(2)
        .map((l) => l.split(":")[0]?.trim() ?? "")
        .filter((n) => n && n !== "lo");
      const seen = hostIfs.filter((n) => new RegExp(`^\\s*${n}:`, "m").test(r.stdout));
      return {
        escaped: seen.length > 0,
        evidence: seen.length > 0 ? `visible: ${seen.join(", ")}` : summarize(r),
      };
    },
  },
];
