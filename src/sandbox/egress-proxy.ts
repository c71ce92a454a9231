// The only way out of a local sandbox to the internet: an HTTP proxy on a UNIX socket that
// is bind-mounted into the sandbox (a forwarder inside turns it into HTTP(S)_PROXY on
// 127.0.0.1). It serves CONNECT tunnels (HTTPS) and plain-HTTP absolute-URI requests to the
// hosts the `allowNet` rules name. It resolves names itself and connects to the vetted IP,
// never re-resolving, so a permitted name pointing at loopback, a private range or cloud
// metadata is refused (see net-rules.ts). Every attempt becomes a NetEvent.
// Whatever an allowed upstream answers (status 000, no status line, a head that never ends,
// a reset mid-body) is its failure, not ours: the client gets a 502 (or its stream is cut),
// the run gets a "failed" NetEvent, and nothing is ever thrown out of a handler.
import { lookup } from "node:dns/promises";
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type ServerResponse,
  STATUS_CODES,
} from "node:http";
import { isIP, connect as netConnect, type Socket } from "node:net";
import {
  checkResolvedAddress,
  matchNetRequest,
  type NetRule,
  normalizeHost,
  parseNetRules,
} from "./net-rules.ts";
import { closeServer, listenUnix, relaySockets, trackSockets } from "./socket-relay.ts";
import type { NetEvent } from "./types.ts";

export interface EgressProxyOptions {
  socketPath: string;
  allowNet: string[];
  onEvent?: (event: NetEvent) => void;
  /** Name → addresses; defaults to the host's resolver. Injected by tests. */
  resolve?: (host: string) => Promise<string[]>;
  connectTimeoutMs?: number;
  /** How long an upstream may take to send its response head (slow loris); default 60 s. */
  responseHeadTimeoutMs?: number;
}

export interface EgressProxy {
  socketPath: string;
  close(): Promise<void>;
}

/** Request heads larger than this are refused; a proxy has no business with bigger ones. */
const maxHeaderBytes = 16 * 1024;
/** Beyond this many open client connections new ones are refused, so a runaway loop cannot exhaust descriptors. */
const maxConnections = 512;
const hopByHop = new Set([
  "connection",
  "proxy-connection",
  "keep-alive",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

type Verdict = { allowed: true; addresses: string[] } | { allowed: false; reason: string };

async function defaultResolve(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
}

function plainResponse(status: number, reason: string, text: string): string {
  const body = `${text}\n`;
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}

/** Splits a CONNECT authority (`host:port` or `[v6]:port`); null when it is not one. */
export function parseAuthority(authority: string): { host: string; port: number } | null {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(authority) ?? /^([^:[\]\s]+):(\d{1,5})$/.exec(authority);
  if (!m) return null;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1]!, port } : null;
}

/** Connects to the first address that answers, each within the timeout. */
function connectFirst(addresses: string[], port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    let lastError: Error = new Error("no address to connect to");
    const attempt = (i: number) => {
      const address = addresses[i];
      if (address === undefined) {
        reject(lastError);
        return;
      }
      const socket = netConnect({ host: address, port, allowHalfOpen: true });
      socket.setTimeout(timeoutMs, () =>
        socket.destroy(
          Object.assign(new Error(`connect timed out after ${timeoutMs} ms`), { code: "ETIMEDOUT" }),
        ),
      );
      socket.once("connect", () => {
        socket.setTimeout(0);
        socket.removeAllListeners("error");
        resolve(socket);
      });
      socket.once("error", (error) => {
        lastError = error;
        attempt(i + 1);
      });
    };
    attempt(0);
  });
}

export async function startEgressProxy(options: EgressProxyOptions): Promise<EgressProxy> {
  const rules: NetRule[] = parseNetRules(options.allowNet);
  const resolveName = options.resolve ?? defaultResolve;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;

  const responseHeadTimeoutMs = options.responseHeadTimeoutMs ?? 60_000;

  const emit = (host: string, port: number, decision: NetEvent["decision"], rule: string) => {
    try {
      options.onEvent?.({ kind: "proxy", host, port, decision, rule, at: Date.now() });
    } catch {
      // A listener's bug must not take the proxy (and the host process) down with it.
    }
  };

  // Name rule first, then the proxy's own resolution, then every address vetted; only the
  // vetted addresses are ever connected to.
  async function decide(rawHost: string, port: number): Promise<Verdict> {
    const host = normalizeHost(rawHost);
    const verdict = await vet(host, port);
    emit(host, port, verdict.allowed ? "allowed" : "denied", verdict.allowed ? verdict.rule : verdict.reason);
    return verdict.allowed ? { allowed: true, addresses: verdict.addresses } : verdict;
  }

  async function vet(
    host: string,
    port: number,
  ): Promise<{ allowed: true; rule: string; addresses: string[] } | { allowed: false; reason: string }> {
    const match = matchNetRequest(rules, host, port);
    if (!match.allowed) return match;
    let addresses: string[];
    try {
      addresses = isIP(host) ? [host] : await resolveName(host);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      return { allowed: false, reason: `cannot resolve ${host}: ${code}` };
    }
    if (addresses.length === 0) return { allowed: false, reason: `cannot resolve ${host}: no addresses` };
    const checks = addresses.map((a) => ({ address: a, check: checkResolvedAddress(rules, a, port) }));
    const vetted = checks.filter((c) => c.check.allowed).map((c) => c.address);
    if (vetted.length === 0) {
      const first = checks[0]!.check;
      return { allowed: false, reason: `${host} resolves to ${first.allowed ? "?" : first.reason}` };
    }
    return { allowed: true, rule: match.rule, addresses: vetted };
  }

  async function onConnect(req: IncomingMessage, client: Socket, head: Buffer): Promise<void> {
    client.on("error", () => client.destroy());
    const target = parseAuthority(req.url ?? "");
    if (!target) {
      client.end(plainResponse(400, "Bad Request", "CONNECT needs host:port"));
      return;
    }
    const verdict = await decide(target.host, target.port);
    if (!verdict.allowed) {
      client.end(plainResponse(403, "Forbidden", `closedloop egress proxy: denied: ${verdict.reason}`));
      return;
    }
    let upstream: Socket;
    try {
      upstream = await connectFirst(verdict.addresses, target.port, connectTimeoutMs);
    } catch (error) {
      const timedOut = (error as NodeJS.ErrnoException).code === "ETIMEDOUT";
      const text = `closedloop egress proxy: cannot reach ${target.host}:${target.port}: ${(error as Error).message}`;
      emit(normalizeHost(target.host), target.port, "failed", `cannot connect: ${(error as Error).message}`);
      client.end(plainResponse(timedOut ? 504 : 502, timedOut ? "Gateway Timeout" : "Bad Gateway", text));
      return;
    }
    if (client.destroyed) {
      upstream.destroy();
      return;
    }
    client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
    if (head.length > 0) upstream.write(head);
    relaySockets(client, upstream);
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const fail = (status: number, text: string): void => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      try {
        // The reason is given explicitly: a refused upstream one may still be set on `res`.
        res.writeHead(status, STATUS_CODES[status], {
          "content-type": "text/plain; charset=utf-8",
          connection: "close",
        });
        res.end(`closedloop egress proxy: ${text}\n`);
      } catch {
        res.destroy();
      }
    };
    const raw = req.url ?? "";
    if (!raw.startsWith("http://")) {
      const hint = raw.startsWith("https://") ? "use CONNECT for https" : "send an absolute http:// URL";
      return fail(400, `not a proxy request (${hint})`);
    }
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return fail(400, "unparseable URL");
    }
    const port = url.port ? Number(url.port) : 80;
    const verdict = await decide(url.hostname, port);
    if (!verdict.allowed) return fail(403, `denied: ${verdict.reason}`);
    const host = normalizeHost(url.hostname);
    // One upstream failure is reported once, whichever of its symptoms comes first.
    let failed = false;
    const upstreamFailed = (what: string): void => {
      if (!failed) emit(host, port, "failed", what);
      failed = true;
      fail(502, `upstream ${url.host} failed: ${what}`);
    };
    let socket: Socket;
    try {
      socket = await connectFirst(verdict.addresses, port, connectTimeoutMs);
    } catch (error) {
      return upstreamFailed(`cannot connect: ${(error as Error).message}`);
    }
    const headers: OutgoingHttpHeaders = {};
    const listed = new Set(
      String(req.headers.connection ?? "")
        .split(",")
        .map((h) => h.trim().toLowerCase()),
    );
    for (const [name, value] of Object.entries(req.headers))
      if (value !== undefined && !hopByHop.has(name) && !listed.has(name)) headers[name] = value;
    headers.host = url.host; // RFC 9112: a proxy replaces Host with the absolute URI's authority
    headers.connection = "close";
    const upstream = request({
      method: req.method,
      path: `${url.pathname}${url.search}`,
      headers,
      setHost: false,
      createConnection: () => socket, // no agent: this one vetted socket, never a pooled one
    });
    const headTimer = setTimeout(
      () => upstream.destroy(new Error(`no response head within ${responseHeadTimeoutMs} ms`)),
      responseHeadTimeoutMs,
    );
    upstream.on("response", (up) => {
      clearTimeout(headTimer);
      up.on("error", (error) => {
        if (!failed) emit(host, port, "failed", `response cut: ${error.message}`);
        failed = true;
        res.destroy();
      });
      const out: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(up.headers))
        if (value !== undefined && !hopByHop.has(name)) out[name] = value;
      // Node's parser takes any three digits (000) and any reason text; writeHead throws on
      // what it would not send itself. That is the upstream's fault: a 502, never a crash.
      try {
        res.writeHead(up.statusCode ?? 0, up.statusMessage, out);
      } catch (error) {
        up.destroy();
        upstreamFailed(`unusable response head: ${(error as Error).message}`);
        return;
      }
      up.pipe(res);
    });
    upstream.on("error", (error) => {
      clearTimeout(headTimer);
      upstreamFailed(error.message);
    });
    // A 101 the client never asked for (Upgrade is hop-by-hop, never forwarded): without this
    // Node drops the socket silently and the client waits for nothing.
    upstream.on("upgrade", (_res, upgraded: Socket) => {
      clearTimeout(headTimer);
      upgraded.destroy();
      upstreamFailed("switched protocols (101) without being asked");
    });
    res.on("close", () => {
      clearTimeout(headTimer);
      upstream.destroy();
    });
    req.pipe(upstream);
  }

  /** A handler that throws anyway (a bug) ends its own connection, never the host process. */
  const guard = (what: Promise<void>, end: () => void) =>
    what.catch(() => {
      try {
        end();
      } catch {}
    });

  const server = createServer({ maxHeaderSize: maxHeaderBytes });
  server.maxConnections = maxConnections;
  // A client that half-closes after its request (the forwarder passes shutdowns on) must
  // still get the response; Node's default drops it. Undocumented, but present since v0.x.
  (server as unknown as { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  const endLive = trackSockets(server);
  server.on(
    "connect",
    (req: IncomingMessage, client: Socket, head: Buffer) =>
      void guard(onConnect(req, client, head), () => client.destroy()),
  );
  server.on(
    "request",
    (req: IncomingMessage, res: ServerResponse) => void guard(onRequest(req, res), () => res.destroy()),
  );
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const tooBig = error.code === "HPE_HEADER_OVERFLOW";
    socket.end(
      tooBig
        ? plainResponse(431, "Request Header Fields Too Large", `request head over ${maxHeaderBytes} bytes`)
        : plainResponse(400, "Bad Request", "unparseable proxy request"),
    );
  });
  await listenUnix(server, options.socketPath, 0o666);
  return {
    socketPath: options.socketPath,
    close: () => closeServer(server, endLive, options.socketPath),
  };
}
