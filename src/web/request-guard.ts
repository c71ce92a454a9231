// In front of everything `closedloop serve` answers: the Host header must name this server
// and an Origin (sent by browsers) must too, so a web page on another site cannot reach it
// through DNS rebinding; and when a token is set, every request must carry it — as a bearer
// header (MCP clients) or as the cookie that `/?token=…` sets once (the dashboard in a browser).
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

export interface RequestGuardOptions {
  /** Host names (no port) this server answers to; loopback names are always included. */
  allowedHosts?: string[];
  token?: string | undefined;
}

export type RequestGuard = (req: IncomingMessage, res: ServerResponse) => boolean;

const cookieName = "closedloop_token";

function hostnameOf(value: string, withScheme: boolean): string | undefined {
  try {
    return new URL(withScheme ? value : `http://${value}`).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

function sameSecret(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function refuse(res: ServerResponse, status: number, message: string): false {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    ...(status === 401 ? { "www-authenticate": 'Bearer realm="closedloop"' } : {}),
  });
  res.end(`${message}\n`);
  return false;
}

export function createRequestGuard(options: RequestGuardOptions = {}): RequestGuard {
  const allowed = new Set(
    ["localhost", "127.0.0.1", "[::1]", ...(options.allowedHosts ?? [])].map((h) =>
      h.includes(":") && !h.startsWith("[") ? `[${h}]` : h.toLowerCase(),
    ),
  );
  const { token } = options;
  return (req, res) => {
    const host = hostnameOf(req.headers.host ?? "", false);
    if (!host || !allowed.has(host))
      return refuse(
        res,
        403,
        `Host '${req.headers.host ?? ""}' is not this server (use --allow-host to add a name)`,
      );
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== "") {
      const name = hostnameOf(origin, true);
      if (!name || !allowed.has(name)) return refuse(res, 403, `Origin '${origin}' may not use this server`);
    }
    if (!token) return true;
    const auth = req.headers.authorization ?? "";
    if (auth.startsWith("Bearer ") && sameSecret(auth.slice(7).trim(), token)) return true;
    const cookie = (req.headers.cookie ?? "")
      .split(";")
      .map((c) => c.trim().split("="))
      .find(([name]) => name === cookieName)?.[1];
    if (cookie !== undefined && sameSecret(decodeURIComponent(cookie), token)) return true;
    const url = new URL(req.url ?? "/", "http://x");
    const query = url.searchParams.get("token");
    if (req.method === "GET" && query !== null && sameSecret(query, token)) {
      url.searchParams.delete("token");
      res.writeHead(303, {
        location: `${url.pathname}${url.search}`,
        "set-cookie": `${cookieName}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
      });
      res.end();
      return false;
    }
    return refuse(
      res,
      401,
      "a token is required: send 'Authorization: Bearer TOKEN', or open /?token=TOKEN once",
    );
  };
}
