import assert from "node:assert/strict";
import { test } from "node:test";
import {
  canonicalIp,
  checkResolvedAddress,
  classifyAddress,
  matchNetRequest,
  NetRuleError,
  parseNetRule,
  parseNetRules,
} from "./net-rules.ts";

const allowed = (rules: string[], host: string, port: number) =>
  matchNetRequest(parseNetRules(rules), host, port).allowed;

test("rules parse into names, wildcards, IPs and optional ports", () => {
  assert.deepEqual(parseNetRule("Registry.NPMJS.org"), {
    text: "Registry.NPMJS.org",
    kind: "name",
    host: "registry.npmjs.org",
    port: null,
  });
  assert.equal(parseNetRule("*.github.com").kind, "wildcard");
  assert.equal(parseNetRule("*.github.com").host, "github.com");
  assert.equal(parseNetRule("*.github.com:8443").port, 8443);
  assert.equal(parseNetRule("example.com:8080").port, 8080);
  assert.deepEqual(parseNetRule("10.0.0.5:5432"), {
    text: "10.0.0.5:5432",
    kind: "ip",
    host: "10.0.0.5",
    port: 5432,
  });
  assert.deepEqual(parseNetRule("[::1]:5432"), { text: "[::1]:5432", kind: "ip", host: "::1", port: 5432 });
  assert.deepEqual(parseNetRule("fd00::0:1"), { text: "fd00::0:1", kind: "ip", host: "fd00::1", port: null });
  assert.equal(parseNetRule("[::ffff:127.0.0.1]").host, "127.0.0.1");
});

test("malformed rules are user errors that show the accepted forms", () => {
  for (const bad of [
    "",
    "*",
    "*.",
    "a*.example.com",
    "example.com:0",
    "example.com:99999",
    "host:port",
    "1.2.3",
  ]) {
    assert.throws(() => parseNetRule(bad), NetRuleError, `rule ${JSON.stringify(bad)}`);
  }
  assert.throws(() => parseNetRule("exa mple.com"), /example\.com/);
  assert.throws(() => parseNetRule("[example.com]:80"), /IPv6/);
});

test("an exact name matches only itself, case- and trailing-dot-insensitive", () => {
  assert.equal(allowed(["registry.npmjs.org"], "registry.npmjs.org", 443), true);
  assert.equal(allowed(["registry.npmjs.org"], "REGISTRY.npmjs.org.", 443), true);
  assert.equal(allowed(["registry.npmjs.org"], "npmjs.org", 443), false);
  assert.equal(allowed(["registry.npmjs.org"], "evil.registry.npmjs.org", 443), false);
  assert.equal(allowed(["registry.npmjs.org"], "registry.npmjs.org.evil.com", 443), false);
});

test("a wildcard matches subdomains at any depth but not the bare suffix", () => {
  assert.equal(allowed(["*.github.com"], "api.github.com", 443), true);
  assert.equal(allowed(["*.github.com"], "a.b.github.com", 443), true);
  assert.equal(allowed(["*.github.com"], "github.com", 443), false);
  assert.equal(allowed(["*.github.com"], "evilgithub.com", 443), false);
  assert.equal(allowed(["*.github.com", "github.com"], "github.com", 443), true);
});

test("rules without a port allow only 80 and 443; a rule with a port allows only that port", () => {
  assert.equal(allowed(["example.com"], "example.com", 80), true);
  assert.equal(allowed(["example.com"], "example.com", 443), true);
  assert.equal(allowed(["example.com"], "example.com", 22), false);
  assert.equal(allowed(["example.com:8080"], "example.com", 8080), true);
  assert.equal(allowed(["example.com:8080"], "example.com", 443), false);
  assert.equal(allowed(["example.com:8080", "example.com"], "example.com", 443), true);
  const denial = matchNetRequest(parseNetRules(["example.com"]), "example.com", 22);
  assert.equal(denial.allowed, false);
  assert.match(denial.allowed ? "" : denial.reason, /port 22 is not allowed for example\.com/);
});

test("a raw IP literal is refused unless a rule names that IP", () => {
  const denial = matchNetRequest(parseNetRules(["example.com"]), "93.184.216.34", 443);
  assert.deepEqual(denial, {
    allowed: false,
    reason: "raw IP 93.184.216.34 is not named by an allowNet rule",
  });
  assert.equal(allowed(["93.184.216.34"], "93.184.216.34", 443), true);
  assert.equal(allowed(["127.0.0.1:5432"], "127.0.0.1", 5432), true);
  assert.equal(allowed(["127.0.0.1:5432"], "127.0.0.2", 5432), false);
  assert.equal(allowed(["::1"], "[::1]", 80), true);
  assert.equal(allowed(["::1"], "0:0:0:0:0:0:0:1", 80), true);
  // An IPv4-mapped spelling of a named IPv4 is the same address; of an unnamed one it is not.
  assert.equal(allowed(["127.0.0.1"], "::ffff:127.0.0.1", 80), true);
  assert.equal(allowed(["example.com"], "::ffff:127.0.0.1", 80), false);
});

test("a name rule never lets an IP through, and an IP rule never lets a name through", () => {
  assert.equal(allowed(["*.0.0.1"], "127.0.0.1", 80), false);
  assert.equal(allowed(["127.0.0.1"], "localhost", 80), false);
  assert.equal(matchNetRequest([], "bad host!", 80).allowed, false);
});

test("every refused address range is classified as not public", () => {
  const cases: [string, string][] = [
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["::1", "loopback"],
    ["169.254.169.254", "link-local"],
    ["fe80::1", "link-local"],
    ["febf::1", "link-local"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["fc00::1", "private"],
    ["fd12:3456::1", "private"],
    ["100.64.0.1", "shared"],
    ["100.127.255.255", "shared"],
    ["0.0.0.0", "unspecified"],
    ["0.1.2.3", "unspecified"],
    ["::", "unspecified"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.250", "multicast"],
    ["ff02::1", "multicast"],
    ["255.255.255.255", "broadcast"],
    ["240.0.0.1", "reserved"],
    ["192.0.2.1", "reserved"],
    ["198.18.0.1", "reserved"],
    ["2001:db8::1", "reserved"],
    // IPv6 spellings that carry an IPv4 address are judged by that address.
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:169.254.169.254", "link-local"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:192.168.0.1", "private"],
    ["::127.0.0.1", "loopback"],
    ["64:ff9b::10.0.0.1", "private"],
    ["2002:7f00:1::", "loopback"],
  ];
  for (const [address, cls] of cases) assert.equal(classifyAddress(address), cls, address);
});

test("public addresses on both families are classified as public", () => {
  for (const address of [
    "8.8.8.8",
    "1.1.1.1",
    "172.32.0.1",
    "100.128.0.1",
    "93.184.216.34",
    "2606:4700::1111",
    "::ffff:8.8.8.8",
  ])
    assert.equal(classifyAddress(address), "public", address);
});

test("a resolved internal address is refused unless a rule names it (DNS rebinding fails)", () => {
  const rules = parseNetRules(["rebind.test"]);
  for (const address of ["127.0.0.1", "::1", "169.254.169.254", "10.0.0.1", "::ffff:127.0.0.1", "fe80::1"]) {
    const check = checkResolvedAddress(rules, address, 443);
    assert.equal(check.allowed, false, address);
  }
  assert.equal(checkResolvedAddress(rules, "93.184.216.34", 443).allowed, true);
  const named = parseNetRules(["db.test:5432", "10.0.0.7:5432"]);
  assert.deepEqual(checkResolvedAddress(named, "10.0.0.7", 5432), { allowed: true, rule: "10.0.0.7:5432" });
  assert.equal(checkResolvedAddress(named, "10.0.0.7", 80).allowed, false);
  assert.equal(checkResolvedAddress(named, "10.0.0.8", 5432).allowed, false);
  const reason = checkResolvedAddress(rules, "169.254.169.254", 80);
  assert.match(reason.allowed ? "" : reason.reason, /169\.254\.169\.254 is a link-local address/);
});

test("IP addresses are compared in canonical form", () => {
  assert.equal(canonicalIp("0:0:0:0:0:0:0:1"), "::1");
  assert.equal(canonicalIp("2001:DB8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
  assert.equal(canonicalIp("::ffff:7f00:1"), "127.0.0.1");
  assert.equal(canonicalIp("fe80::1%eth0"), "fe80::1");
  assert.equal(canonicalIp("1:2:3:4:5:6:7:8"), "1:2:3:4:5:6:7:8");
});
