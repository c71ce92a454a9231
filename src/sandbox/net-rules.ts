// The egress policy as pure functions: which host:port a sandbox may ask for (`allowNet`
// rules), and which resolved addresses the proxy may then connect to. Names are matched
// first; addresses are checked after the proxy resolves the name itself, so a permitted
// name that resolves to loopback, a private range or cloud metadata (DNS rebinding) is
// still refused unless a rule names that address explicitly.
import { isIP } from "node:net";
import { UserError } from "../util/index.ts";

/** An `allowNet` entry that cannot be understood; the message shows the accepted forms. */
export class NetRuleError extends UserError {
  override readonly name = "NetRuleError";
}

export type NetRuleKind = "name" | "wildcard" | "ip";

export interface NetRule {
  /** The rule as the user wrote it, reported in events. */
  text: string;
  kind: NetRuleKind;
  /** Lower-case name, the suffix after `*.`, or the canonical IP. */
  host: string;
  /** The one port allowed, or null for the defaults 80 and 443. */
  port: number | null;
}

export type AddressClass =
  | "public"
  | "loopback"
  | "link-local"
  | "private"
  | "shared"
  | "multicast"
  | "broadcast"
  | "unspecified"
  | "reserved";

export type NetDecision = { allowed: true; rule: string } | { allowed: false; reason: string };

const defaultPorts = [80, 443];
const label = "[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?";
const hostnamePattern = new RegExp(`^${label}(?:\\.${label})*$`);
const ruleForms = 'use "example.com", "*.example.com", "example.com:8080", "10.0.0.5" or "[::1]:5432"';

function parsePort(text: string, rule: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535))
    throw new NetRuleError(`allowNet rule "${rule}": bad port; ${ruleForms}`);
  return port;
}

/** Lower-case, without a trailing dot or IPv6 brackets; IPs in canonical form. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  if (h.endsWith(".")) h = h.slice(0, -1);
  return isIP(h) ? canonicalIp(h) : h;
}

export function parseNetRule(text: string): NetRule {
  const rule = text.trim().toLowerCase();
  let host = rule;
  let port: number | null = null;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(rule);
  if (bracketed) {
    host = bracketed[1]!;
    if (bracketed[2] !== undefined) port = parsePort(bracketed[2], text);
    if (isIP(host) !== 6) throw new NetRuleError(`allowNet rule "${text}": brackets hold an IPv6 address`);
  } else if (rule.split(":").length === 2) {
    const i = rule.indexOf(":");
    host = rule.slice(0, i);
    port = parsePort(rule.slice(i + 1), text);
  }
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (isIP(host)) return { text, kind: "ip", host: canonicalIp(host), port };
  if (host.startsWith("*.") && hostnamePattern.test(host.slice(2)))
    return { text, kind: "wildcard", host: host.slice(2), port };
  if (hostnamePattern.test(host) && !/^[\d.]+$/.test(host)) return { text, kind: "name", host, port };
  throw new NetRuleError(`allowNet rule "${text}" is not a host name, *.suffix or IP address; ${ruleForms}`);
}

export function parseNetRules(texts: readonly string[]): NetRule[] {
  return texts.map(parseNetRule);
}

function portAllowed(rule: NetRule, port: number): boolean {
  return rule.port === null ? defaultPorts.includes(port) : rule.port === port;
}

function hostMatches(rule: NetRule, host: string, hostIsIp: boolean): boolean {
  if (hostIsIp) return rule.kind === "ip" && rule.host === host;
  if (rule.kind === "name") return rule.host === host;
  return rule.kind === "wildcard" && host.endsWith(`.${rule.host}`);
}

/** May the sandbox ask for host:port at all? (Before any resolution.) */
export function matchNetRequest(rules: readonly NetRule[], rawHost: string, port: number): NetDecision {
  const host = normalizeHost(rawHost);
  const hostIsIp = isIP(host) !== 0;
  if (!hostIsIp && !hostnamePattern.test(host))
    return { allowed: false, reason: `"${rawHost}" is not a host name` };
  const named = rules.filter((r) => hostMatches(r, host, hostIsIp));
  const rule = named.find((r) => portAllowed(r, port));
  if (rule) return { allowed: true, rule: rule.text };
  if (named.length > 0)
    return {
      allowed: false,
      reason: `port ${port} is not allowed for ${host} (rules without a port allow only 80 and 443)`,
    };
  if (hostIsIp) return { allowed: false, reason: `raw IP ${host} is not named by an allowNet rule` };
  return { allowed: false, reason: `no allowNet rule matches ${host}` };
}

/**
 * May the proxy connect to this resolved address? Public addresses yes; any other class only
 * when a rule names exactly this IP (and port), so rebinding a permitted name to an internal
 * address fails.
 */
export function checkResolvedAddress(rules: readonly NetRule[], address: string, port: number): NetDecision {
  const ip = canonicalIp(address);
  const cls = classifyAddress(ip);
  if (cls === "public") return { allowed: true, rule: "public address" };
  const rule = rules.find((r) => r.kind === "ip" && r.host === ip && portAllowed(r, port));
  if (rule) return { allowed: true, rule: rule.text };
  return { allowed: false, reason: `${ip} is a ${cls} address and no allowNet rule names it` };
}

/** 4 bytes for IPv4, 16 for IPv6; null when the text is not an IP literal. */
export function parseIpBytes(text: string): number[] | null {
  const zoneless = text.split("%")[0]!;
  const family = isIP(zoneless);
  if (family === 4) return zoneless.split(".").map(Number);
  if (family !== 6) return null;
  let groups: number[] = [];
  let tail = zoneless;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(zoneless);
  let v4Bytes: number[] = [];
  if (v4) {
    v4Bytes = v4[1]!.split(".").map(Number);
    tail = `${zoneless.slice(0, -v4[1]!.length)}0:0`;
  }
  const [head, rest] = tail.split("::") as [string, string | undefined];
  const parse = (s: string) => (s === "" ? [] : s.split(":").map((g) => Number.parseInt(g, 16)));
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = groups.flatMap((g) => [g >> 8, g & 0xff]);
  if (v4) bytes.splice(12, 4, ...v4Bytes);
  return bytes;
}

/** IPv4 dotted; IPv6 compressed; IPv4-mapped IPv6 becomes the IPv4 it stands for. */
export function canonicalIp(text: string): string {
  const b = parseIpBytes(text);
  if (!b) throw new Error(`canonicalIp: not an IP address: ${text}`);
  if (b.length === 4) return b.join(".");
  if (b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return b.slice(12).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16));
  // Compress the longest run of zero groups (length ≥ 2), as RFC 5952 says.
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen && j - i >= 2) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}

type Range4 = [number, number, number, number, number, AddressClass];
// Checked in order; the first match wins (broadcast before the reserved 240/4).
const ranges4: Range4[] = [
  [0, 0, 0, 0, 8, "unspecified"],
  [10, 0, 0, 0, 8, "private"],
  [100, 64, 0, 0, 10, "shared"],
  [127, 0, 0, 0, 8, "loopback"],
  [169, 254, 0, 0, 16, "link-local"],
  [172, 16, 0, 0, 12, "private"],
  [192, 0, 0, 0, 24, "reserved"],
  [192, 0, 2, 0, 24, "reserved"],
  [192, 88, 99, 0, 24, "reserved"],
  [192, 168, 0, 0, 16, "private"],
  [198, 18, 0, 0, 15, "reserved"],
  [198, 51, 100, 0, 24, "reserved"],
  [203, 0, 113, 0, 24, "reserved"],
  [224, 0, 0, 0, 4, "multicast"],
  [255, 255, 255, 255, 32, "broadcast"],
  [240, 0, 0, 0, 4, "reserved"],
];

function inPrefix(bytes: number[], prefix: number[], bits: number): boolean {
  for (let i = 0; i < bits; i += 8) {
    const take = Math.min(8, bits - i);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i / 8] ?? 0) & mask) !== ((prefix[i / 8] ?? 0) & mask)) return false;
  }
  return true;
}

function classify4(b: number[]): AddressClass {
  for (const [a, b2, c, d, bits, cls] of ranges4) if (inPrefix(b, [a, b2, c, d], bits)) return cls;
  return "public";
}

export function classifyAddress(address: string): AddressClass {
  const b = parseIpBytes(address);
  if (!b) throw new Error(`classifyAddress: not an IP address: ${address}`);
  if (b.length === 4) return classify4(b);
  const zeros = (n: number) => b.slice(0, n).every((x) => x === 0);
  if (zeros(16)) return "unspecified";
  if (zeros(15) && b[15] === 1) return "loopback";
  // IPv6 forms that carry an IPv4 address are judged by that address: mapped (::ffff:a.b.c.d),
  // the old compatible form (::a.b.c.d), NAT64 (64:ff9b::a.b.c.d) and 6to4 (2002:AABB:CCDD::).
  if (zeros(10) && b[10] === 0xff && b[11] === 0xff) return classify4(b.slice(12));
  if (zeros(12)) return classify4(b.slice(12));
  if (inPrefix(b, [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96)) return classify4(b.slice(12));
  if (inPrefix(b, [0x20, 0x02], 16)) return classify4(b.slice(2, 6));
  if (inPrefix(b, [0xfe, 0x80], 10)) return "link-local";
  if (inPrefix(b, [0xfc], 7) || inPrefix(b, [0xfe, 0xc0], 10)) return "private";
  if (inPrefix(b, [0xff], 8)) return "multicast";
  if (inPrefix(b, [0x20, 0x01, 0x0d, 0xb8], 32) || inPrefix(b, [0x20, 0x01, 0, 0], 32)) return "reserved";
  // Only 2000::/3 is global unicast; everything else (discard, NAT64 local use …) is refused.
  return inPrefix(b, [0x20], 3) ? "public" : "reserved";
}
