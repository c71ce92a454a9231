// A real headless Chromium (Debian's, driven by playwright-core) that opens one origin and
// reports what a developer would see in DevTools: uncaught exceptions with source locations,
// console errors, failed requests, a compact page summary and a screenshot. One browser per
// probe, reused across steps; every request to another origin is aborted before it leaves,
// and a fresh user-data dir plus the flags below keep Chromium itself off the network. Pages
// must be served on loopback (a sandbox port reaches the host through `exposePort`).
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, CDPSession, Page } from "playwright-core";
import { UserError } from "../util/index.ts";
import { findChromium } from "./find-chromium.ts";

export type { BrowserObservation, PageSummary } from "./browser-observation.ts";
export { formatBrowserObservation } from "./browser-observation.ts";

import { type BrowserObservation, type PageSummary, pageSummaryScript } from "./browser-observation.ts";
import type { Finding } from "./types.ts";

export interface BrowserProbeOptions {
  executablePath?: string;
  /** Host directory the probed server serves; a same-origin URL whose path exists there maps to that file. */
  webRoot?: string;
  /** Maps a same-origin script URL to a workspace file; wins over `webRoot`. */
  mapSource?: (url: URL) => string | undefined | Promise<string | undefined>;
  /** Where screenshots go; by default a temp dir removed on dispose. */
  screenshotDir?: string;
  /** Per navigation or action. Default 15 s. */
  timeoutMs?: number;
  /** How long click/type wait for their element. Default 5 s. */
  actionTimeoutMs?: number;
  /** Findings kept per step. Default 30. */
  maxFindings?: number;
}

export type BrowserTarget = { selector: string } | { role: string; name?: string };

export interface BrowserProbe {
  goto(url: string): Promise<BrowserObservation>;
  click(target: BrowserTarget): Promise<BrowserObservation>;
  type(target: BrowserTarget, text: string): Promise<BrowserObservation>;
  snapshot(): Promise<BrowserObservation>;
  screenshot(path?: string): Promise<BrowserObservation>;
  /** Whether the page's visible text contains `text` (no findings are taken). */
  hasText(text: string): Promise<boolean>;
  dispose(): Promise<void>;
}

/** The Chromium a probe launches by default (see findChromium); "/usr/bin/chromium" when none is found. */
export const chromiumPath = findChromium() ?? "/usr/bin/chromium";

// Playwright adds its own automation defaults; these turn off what would still phone home.
const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  "--disable-dns-prefetch",
  // Belt and braces under the per-request origin filter: no host name or address but
  // loopback resolves (the rule applies to IP literals too), so nothing can leave the machine.
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost, EXCLUDE [::1]",
];

export async function createBrowserProbe(options: BrowserProbeOptions = {}): Promise<BrowserProbe> {
  const executablePath = options.executablePath ?? findChromium();
  if (!executablePath || !existsSync(executablePath))
    throw new UserError(
      `chromium is not installed${executablePath ? ` at ${executablePath}` : ""}: run 'closedloop setup' (or apt-get install chromium), or set CLOSEDLOOP_CHROMIUM to its path`,
    );
  const timeout = options.timeoutMs ?? 15_000;
  const maxFindings = options.maxFindings ?? 30;
  const actionTimeout = options.actionTimeoutMs ?? 5_000;
  const profile = mkdtempSync(join(tmpdir(), "closedloop-chromium-"));
  const shots = options.screenshotDir ?? mkdtempSync(join(tmpdir(), "closedloop-shots-"));
  let context: BrowserContext;
  try {
    // playwright-core loads only when a browser is really launched (it is the heaviest import).
    const { chromium } = await import("playwright-core");
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: chromiumArgs,
      viewport: { width: 1280, height: 800 },
      serviceWorkers: "block", // a service worker's fetches would bypass the origin filter
      acceptDownloads: false,
      timeout,
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    if (!options.screenshotDir) rmSync(shots, { recursive: true, force: true });
    throw error;
  }
  const cleanup = async (): Promise<void> => {
    await context.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
    if (!options.screenshotDir) rmSync(shots, { recursive: true, force: true });
  };
  const page: Page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(timeout);

  let origin = "";
  let findings: Finding[] = [];
  let repeats = new Map<string, number>();
  let dropped = 0;
  let blocked = new Set<string>();
  const erroredUrls = new Set<string>();
  const pending = new Set<Promise<void>>();
  let inflight = 0;
  let lastActivity = Date.now();
  let shotCount = 0;

  const add = (finding: Finding): void => {
    const key = `${finding.file}:${finding.line}:${finding.message}`;
    const seen = repeats.get(key);
    if (seen !== undefined) repeats.set(key, seen + 1);
    else if (findings.length >= maxFindings) dropped++;
    else {
      repeats.set(key, 1);
      findings.push(finding);
    }
  };
  // Source mapping may be async (a sandbox read), so findings land once it settles.
  const later = (work: () => Promise<void>): void => {
    const p = work().finally(() => pending.delete(p));
    pending.add(p);
  };
  const sameOrigin = (url: string): URL | undefined => {
    try {
      const u = new URL(url);
      return u.origin === origin ? u : undefined;
    } catch {
      return undefined;
    }
  };
  const shortUrl = (url: string): string => {
    const u = sameOrigin(url);
    return u ? `${u.pathname}${u.search}` : url;
  };
  const locate = async (url: string, line?: number, column?: number): Promise<Partial<Finding>> => {
    const u = sameOrigin(url);
    // A mapping that fails (sandbox busy, odd path) only costs the nicer file name.
    let file = u ? await mapUrl(u).catch(() => undefined) : undefined;
    if (!file && url) file = shortUrl(url);
    return { ...(file ? { file } : {}), ...(line ? { line } : {}), ...(column ? { column } : {}) };
  };
  const mapUrl = async (u: URL): Promise<string | undefined> => {
    if (options.mapSource) return await options.mapSource(u);
    if (!options.webRoot) return undefined;
    const rel = decodeURIComponent(u.pathname.endsWith("/") ? `${u.pathname}index.html` : u.pathname).slice(
      1,
    );
    if (rel.split("/").includes("..")) return undefined;
    return existsSync(join(options.webRoot, rel)) ? rel : undefined;
  };

  // A route can be cancelled under us (navigation, close); that must not become an
  // unhandled rejection in the host process.
  await context.route("**/*", async (route) => {
    const url = route.request().url();
    if (sameOrigin(url) || url.startsWith("data:") || url.startsWith("blob:")) {
      await route.continue().catch(() => {});
      return;
    }
    if (blocked.size < 20) blocked.add(url.slice(0, 200));
    await route.abort("blockedbyclient").catch(() => {});
  });
  await context.routeWebSocket(/.*/, (ws) => {
    const u = new URL(ws.url());
    if (`${u.protocol === "wss:" ? "https:" : "http:"}//${u.host}` === origin) ws.connectToServer();
    else {
      if (blocked.size < 20) blocked.add(ws.url().slice(0, 200));
      ws.close({ code: 1008, reason: "blocked by closedloop browser probe" }).catch(() => {});
    }
  });

  // CDP gives the thrown value's own location even for syntax errors (pageerror does not).
  let cdp: CDPSession;
  try {
    cdp = await context.newCDPSession(page);
  } catch (error) {
    await cleanup();
    throw error;
  }
  cdp.on("Runtime.exceptionThrown", ({ exceptionDetails: d }) => {
    later(async () => {
      const description: string = d.exception?.description ?? String(d.exception?.value ?? d.text);
      const frames = d.stackTrace?.callFrames ?? [];
      const frame = frames.find((f) => sameOrigin(f.url)) ?? frames[0];
      const where = frame
        ? await locate(frame.url, frame.lineNumber + 1, frame.columnNumber + 1)
        : await locate(d.url ?? "", d.lineNumber + 1, d.columnNumber + 1);
      const message = `uncaught ${description.split("\n")[0]}`;
      add({
        source: "browser",
        kind: "browser",
        message,
        ...where,
        excerpt: description.split("\n").slice(0, 6).join("\n"),
      });
    });
  });
  await cdp.send("Runtime.enable").catch(async (error: unknown) => {
    await cleanup();
    throw error;
  });

  page.on("console", (msg) => {
    if (msg.type() !== "error" && msg.type() !== "assert") return;
    const text = msg.text();
    // Chromium's own "Failed to load resource" echo duplicates the failed-request finding.
    if (text.startsWith("Failed to load resource")) return;
    const { url, lineNumber, columnNumber } = msg.location();
    later(async () => {
      const where = await locate(url, lineNumber + 1, columnNumber + 1);
      add({
        source: "browser",
        kind: "browser",
        message: `console.${msg.type()}: ${text.slice(0, 400)}`,
        ...where,
      });
    });
  });
  page.on("request", () => {
    inflight++;
    lastActivity = Date.now();
  });
  const finished = (): void => {
    inflight = Math.max(0, inflight - 1);
    lastActivity = Date.now();
  };
  page.on("requestfinished", finished);
  page.on("response", (response) => {
    if (response.status() < 400) return;
    const request = response.request();
    erroredUrls.add(request.url());
    add({
      source: "browser",
      kind: "browser",
      message:
        `${request.method()} ${shortUrl(request.url())} → ${response.status()} ${response.statusText()}`.trim(),
    });
  });
  page.on("requestfailed", (request) => {
    finished();
    const url = request.url();
    if (erroredUrls.has(url) || !sameOrigin(url)) return;
    const reason = request.failure()?.errorText ?? "failed";
    add({
      source: "browser",
      kind: "browser",
      message: `${request.method()} ${shortUrl(url)} failed: ${reason}`,
    });
  });

  // Quiet = no request in flight for 150 ms (capped), so late XHRs and their errors land.
  const settle = async (): Promise<void> => {
    const deadline = Date.now() + 2_000;
    while (Date.now() < deadline && (inflight > 0 || Date.now() - lastActivity < 150))
      await new Promise((r) => setTimeout(r, 25));
    while (pending.size > 0) await Promise.all([...pending]);
  };
  const observe = async (
    extra: Partial<BrowserObservation> = {},
    summarize = true,
  ): Promise<BrowserObservation> => {
    await settle();
    let summary: PageSummary;
    try {
      // After a failed navigation the page is Chromium's error page: nothing of the app's.
      if (!summarize) throw new Error("no page loaded");
      summary = (await page.evaluate(pageSummaryScript)) as PageSummary;
    } catch (error) {
      summary = {
        title: "",
        headings: [],
        buttons: [],
        links: [],
        inputs: [],
        text: "",
        note: firstLine(error),
      };
    }
    const out: BrowserObservation = {
      url: page.url(),
      findings: findings.map((f) => {
        const n = repeats.get(`${f.file}:${f.line}:${f.message}`) ?? 1;
        return n > 1 ? { ...f, message: `${f.message} (×${n})` } : f;
      }),
      droppedFindings: dropped,
      blocked: [...blocked],
      page: summary,
      ...extra,
    };
    findings = [];
    repeats = new Map();
    dropped = 0;
    blocked = new Set();
    erroredUrls.clear();
    return out;
  };
  const locator = (target: BrowserTarget) =>
    "selector" in target
      ? page.locator(target.selector).first()
      : page
          .getByRole(
            target.role as Parameters<Page["getByRole"]>[0],
            target.name ? { name: target.name } : {},
          )
          .first();
  const act = async (what: () => Promise<unknown>): Promise<BrowserObservation> => {
    try {
      await what();
      return await observe();
    } catch (error) {
      return observe({ actionError: firstLine(error) });
    }
  };

  return {
    async goto(url) {
      origin = new URL(url).origin;
      try {
        const response = await page.goto(url, { waitUntil: "load" });
        return await observe(response ? { status: response.status() } : {});
      } catch (error) {
        return observe({ actionError: `could not load ${url}: ${firstLine(error)}` }, false);
      }
    },
    click: (target) => act(() => locator(target).click({ timeout: actionTimeout })),
    type: (target, text) => act(() => locator(target).fill(text, { timeout: actionTimeout })),
    snapshot: () => observe(),
    async hasText(text) {
      return (await page.getByText(text).count()) > 0;
    },
    async screenshot(path) {
      const file = path ?? join(shots, `shot-${++shotCount}.png`);
      return act(() => page.screenshot({ path: file })).then((o) =>
        o.actionError ? o : { ...o, screenshotPath: file },
      );
    },
    dispose: cleanup,
  };
}

export interface BrowserCheckOptions extends BrowserProbeOptions {
  /** Text the page must show (visible text, title or a heading). */
  expectText?: string;
  /** Console errors and failed requests fail the check too (uncaught exceptions always do). */
  expectNoConsoleErrors?: boolean;
  /** Reuse this probe instead of launching one (it is left open). */
  probe?: BrowserProbe;
}

export interface BrowserCheckResult {
  ok: boolean;
  findings: Finding[];
  observation: BrowserObservation;
}

/** "This page loads with no console error and shows this text", for verifiers. */
export async function runBrowserCheck(
  url: string,
  options: BrowserCheckOptions = {},
): Promise<BrowserCheckResult> {
  const probe = options.probe ?? (await createBrowserProbe(options));
  try {
    const observation = await probe.goto(url);
    const strict = options.expectNoConsoleErrors ?? true;
    const findings = observation.findings.filter((f) => strict || f.message.startsWith("uncaught "));
    const fail = (message: string): void => {
      findings.push({ source: "browser", kind: "browser", message });
    };
    if (observation.actionError) fail(observation.actionError);
    else if (observation.status !== undefined && observation.status >= 400)
      fail(`${url} answered HTTP ${observation.status}`);
    if (options.expectText !== undefined) {
      const { page } = observation;
      const shown = [page.title, ...page.headings, page.text].join("\n");
      // The summary text is cut; ask the page itself before calling the text missing.
      const present =
        shown.includes(options.expectText) || (await probe.hasText(options.expectText).catch(() => false));
      if (!present) fail(`expected text not on the page: ${JSON.stringify(options.expectText)}`);
    }
    return { ok: findings.length === 0, findings, observation };
  } finally {
    if (!options.probe) await probe.dispose();
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split("\n").find((l) => l.trim() !== "") ?? text).slice(0, 300);
}
