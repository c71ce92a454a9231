// Browser checks as the user writes them — `--browser-check "3000/todo=node server.js"`
// followed by an optional `--expect-text "Todo"`, or `browserChecks` objects in
// closedloop.config.json — checked into BrowserCheckSpecs. Anything that could not name a
// page (no serve command, a port out of range, a full URL as the path, a misspelt key) is
// refused with a message that says how to write it.
import { InvalidVerifierSpecError } from "./invalid-verifier-spec-error.ts";
import type { BrowserCheckSpec } from "./types.ts";

const flagShape =
  '--browser-check "PORT[/path]=SERVE_COMMAND" (for example --browser-check "3000=node server.js")';
const knownKeys = new Set(["serve", "port", "path", "expectText"]);

/** Validates `browserChecks` (from flags or JSON); undefined means none. */
export function parseBrowserChecks(value: unknown): BrowserCheckSpec[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw new InvalidVerifierSpecError(
      `"browserChecks" must be a list of {"serve": "<command>", "port": <number>, "path"?: "/…", "expectText"?: "…"}, got ${typeof value}.`,
    );
  return value.map((entry, i) => parseBrowserCheck(entry, i + 1));
}

function parseBrowserCheck(entry: unknown, n: number): BrowserCheckSpec {
  const where = `browser check ${n}`;
  if (typeof entry !== "object" || entry === null || Array.isArray(entry))
    throw new InvalidVerifierSpecError(
      `${where} must be an object such as {"serve": "node server.js", "port": 3000}.`,
    );
  const record = entry as Record<string, unknown>;
  const unknown = Object.keys(record).filter((key) => !knownKeys.has(key));
  if (unknown.length > 0)
    throw new InvalidVerifierSpecError(
      `${where} has unknown key(s) ${unknown.join(", ")}: the keys are serve, port, path and expectText.`,
    );
  const { serve, port, path, expectText } = record;
  if (typeof serve !== "string" || serve.trim().length === 0)
    throw new InvalidVerifierSpecError(
      `${where} needs "serve": the command that starts the app in the sandbox, such as "node server.js".`,
    );
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new InvalidVerifierSpecError(
      `${where} needs "port": the port (1–65535) the app listens on inside the sandbox, got ${JSON.stringify(port) ?? "nothing"}.`,
    );
  const spec: BrowserCheckSpec = { serve: serve.trim(), port };
  if (path !== undefined) spec.path = parsePath(path, where);
  if (expectText !== undefined) {
    if (typeof expectText !== "string" || expectText.trim().length === 0)
      throw new InvalidVerifierSpecError(
        `${where}: "expectText" must be the non-empty text the page has to show.`,
      );
    spec.expectText = expectText;
  }
  return spec;
}

function parsePath(path: unknown, where: string): string {
  if (typeof path !== "string" || /\s/.test(path))
    throw new InvalidVerifierSpecError(`${where}: "path" must be a URL path such as "/" or "/todo?x=1".`);
  if (/^[a-z][a-z0-9+.-]*:/i.test(path) || path.startsWith("//"))
    throw new InvalidVerifierSpecError(
      `${where}: "path" ${path} is a full URL; give only the path (the page is always served from the sandbox on "port").`,
    );
  return path.startsWith("/") ? path : `/${path}`;
}

/** One `--browser-check` value: "PORT[/path]=SERVE_COMMAND" (split at the first "="). */
export function parseBrowserCheckFlag(text: string): BrowserCheckSpec {
  const cut = text.indexOf("=");
  const target = cut < 0 ? "" : text.slice(0, cut).trim();
  const serve = cut < 0 ? "" : text.slice(cut + 1).trim();
  const match = /^(\d+)(\/\S*)?$/.exec(target);
  if (!match || serve.length === 0)
    throw new InvalidVerifierSpecError(`--browser-check ${JSON.stringify(text)}: write ${flagShape}.`);
  const spec: BrowserCheckSpec = { serve, port: Number(match[1]) };
  if (match[2] !== undefined && match[2] !== "/") spec.path = match[2];
  return spec;
}

export interface BrowserCheckFlag {
  flag: "browser-check" | "expect-text";
  value: string;
}

/**
 * `--browser-check` and `--expect-text` in the order given: each `--expect-text` belongs to
 * the `--browser-check` before it.
 */
export function parseBrowserCheckFlags(flags: BrowserCheckFlag[]): BrowserCheckSpec[] {
  const checks: BrowserCheckSpec[] = [];
  for (const { flag, value } of flags) {
    if (flag === "browser-check") {
      checks.push(parseBrowserCheckFlag(value));
      continue;
    }
    const last = checks.at(-1);
    if (!last)
      throw new InvalidVerifierSpecError(
        `--expect-text ${JSON.stringify(value)} comes before any --browser-check; put it after the check it belongs to.`,
      );
    if (last.expectText !== undefined)
      throw new InvalidVerifierSpecError(
        `two --expect-text for one --browser-check (${JSON.stringify(last.expectText)}, ${JSON.stringify(value)}); give one per check.`,
      );
    last.expectText = value;
  }
  // The same checks as the config's: port range, path, non-empty text.
  return parseBrowserChecks(checks);
}

/** How a check is named in verdicts and progress: "browser check http://localhost:3000/todo". */
export function browserCheckLabel(check: BrowserCheckSpec): string {
  return `browser check http://localhost:${check.port}${check.path ?? "/"}`;
}
