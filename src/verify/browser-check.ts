// A browser check in the clean room: start the app the way the user said, wait for its port,
// open the page in a real Chromium through a port bridge, and fail on an uncaught exception,
// a console error, a failed request or missing text. A server that exits or never listens is
// a failing check (the code is broken), not a verifier error. The server is always stopped
// and the bridge closed, whatever happens.
import type { Sandbox } from "../sandbox/index.ts";
import {
  type BrowserProbe,
  type CompactFeedback,
  createServerLogWatcher,
  type Finding,
  failureFingerprint,
  runBrowserCheck,
  type ServerLogDelta,
} from "../signals/index.ts";
import { browserCheckLabel } from "./parse-browser-checks.ts";
import type { BrowserCheckDetail, BrowserCheckSpec, CommandVerdict } from "./types.ts";

export interface BrowserCheckContext {
  /** The clean-room sandbox, with the candidate patch applied. */
  sandbox: Sandbox;
  workspace: string;
  /** Where the sandbox really keeps the workspace, when that differs (stack traces name it). */
  seenAs?: string;
  env: Record<string, string>;
  /** The browser to use; asked for only once a server listens. */
  probe: () => Promise<BrowserProbe>;
  /** How long the server may take to listen. Default 30 s. */
  waitMs?: number;
}

const defaultWaitMs = 30_000;
// Where a dev server usually serves a URL path from, relative to the workspace.
const servedDirs = ["", "public/", "static/", "dist/", "build/", "www/", "src/", "app/"];
const logTailLines = 15;
const maxProblems = 20;

export async function runBrowserCheckInSandbox(
  check: BrowserCheckSpec,
  context: BrowserCheckContext,
): Promise<CommandVerdict> {
  const started = performance.now();
  const path = check.path ?? "/";
  const url = `http://localhost:${check.port}${path}`;
  const { sandbox } = context;
  const roots = [context.workspace, ...(context.seenAs ? [context.seenAs] : [])];
  const waitMs = context.waitMs ?? defaultWaitMs;
  // Many apps read their port from PORT; the user's own `PORT=… cmd` still wins.
  const server = await sandbox.start(check.serve, {
    cwd: context.workspace,
    env: { ...context.env, PORT: String(check.port) },
  });
  const watcher = createServerLogWatcher(server, { root: roots });
  let bridge: { host: string; port: number; close(): Promise<void> } | undefined;
  const finish = (stage: BrowserCheckDetail["stage"], findings: Finding[], text: string, summary: string) =>
    verdictOf(check, { url, stage, findings, text, summary, durationMs: performance.now() - started });
  try {
    const exited = server.exited.then(() => "exited" as const);
    const ready = server.waitForPort(check.port, waitMs).then(
      () => "listening" as const,
      () => "silent" as const,
    );
    let outcome = await Promise.race([exited, ready]);
    if (!server.isRunning()) outcome = "exited";
    if (outcome !== "listening") {
      if (outcome === "exited") await watcher.exitReported;
      const delta = watcher.drain();
      const exit = delta.exit;
      const how = exit
        ? exit.exitCode !== null
          ? `exit code ${exit.exitCode}`
          : `signal ${exit.signal}`
        : "an unknown status";
      const headline =
        outcome === "exited"
          ? `the server \`${check.serve}\` exited (${how}) before listening on port ${check.port}`
          : `nothing listened on port ${check.port} within ${Math.round(waitMs / 1000)} s of starting \`${check.serve}\``;
      const own = delta.findings
        .filter((f) => !f.message.startsWith("server process exited"))
        .map((f) => ({ ...f, message: unroot(f.message, roots) }));
      const findings: Finding[] = [{ source: "server", kind: "server-error", message: headline }, ...own];
      const first = own[0];
      const summary = first ? `${headline}: ${describeFinding(first)}` : headline;
      return finish(
        outcome === "exited" ? "server-exited" : "server-silent",
        findings,
        formatServerText(headline, own, delta, roots),
        summary,
      );
    }
    bridge = await sandbox.exposePort(check.port);
    const hostOrigin = `http://${bridge.host.includes(":") ? `[${bridge.host}]` : bridge.host}:${bridge.port}`;
    const sandboxOrigin = `http://localhost:${check.port}`;
    const probe = await context.probe();
    const result = await runBrowserCheck(`${hostOrigin}${path}`, {
      probe,
      expectNoConsoleErrors: true,
      ...(check.expectText !== undefined ? { expectText: check.expectText } : {}),
    });
    // Leave the page so nothing it does later lands in the next check's findings.
    await probe.goto("about:blank").catch(() => {});
    const unbridge = (text: string): string => text.replaceAll(hostOrigin, sandboxOrigin);
    const pageFindings: Finding[] = [];
    for (const finding of result.findings.slice(0, maxProblems))
      pageFindings.push(await localize(finding, sandbox, unbridge));
    // A server that died meanwhile fails the check even if a page loaded: on a shared network
    // (the process backend) that page may have come from another program on the same port.
    const died = !server.isRunning();
    if (died) await watcher.exitReported;
    const delta = watcher.drain();
    if (died && !delta.findings.some((f) => f.message.startsWith("server process exited")))
      delta.findings.push({
        source: "server",
        kind: "server-error",
        message: `the server \`${check.serve}\` exited while the page was being checked`,
      });
    if (result.ok && !died) {
      const shows =
        check.expectText !== undefined ? `shows ${JSON.stringify(check.expectText)}` : "no console errors";
      return finish("page-opened", [], `loaded ${url}, ${shows}`, `loaded, ${shows}`);
    }
    // The server's own errors during the load often say why the page broke (a 500's stack).
    const findings = [...pageFindings, ...delta.findings];
    const page = result.observation.page;
    const lines = [`serve: ${check.serve} (port ${check.port})`, `${findings.length} problem(s):`];
    for (const finding of findings) lines.push(`  ${describeFinding(finding)}`);
    const excerpt = pageFindings.find((f) => f.excerpt)?.excerpt;
    if (excerpt) lines.push("first stack:", indent(unbridge(excerpt), "  "));
    if (page.title || page.text)
      lines.push(`page: ${page.title ? `"${page.title}" — ` : ""}${page.text.slice(0, 300)}`);
    if (delta.lines.length > 0) lines.push("server log:", indent(tail(delta, roots), "  "));
    return finish("page-opened", findings, lines.join("\n"), describeFinding(findings[0]!));
  } finally {
    watcher.expectExit();
    await server.kill().catch(() => {});
    watcher.close();
    await bridge?.close().catch(() => {});
  }
}

interface CheckEnd {
  url: string;
  stage: BrowserCheckDetail["stage"];
  findings: Finding[];
  text: string;
  summary: string;
  durationMs: number;
}

function verdictOf(check: BrowserCheckSpec, end: CheckEnd): CommandVerdict {
  const passed = end.findings.length === 0;
  const feedback: CompactFeedback = {
    text: end.text,
    findings: end.findings,
    summary: {
      failed: passed ? 0 : 1,
      passed: passed ? 1 : 0,
      errors: end.findings.length,
      status: "parsed",
      parsers: ["browser"],
    },
    fingerprint: failureFingerprint(end.findings),
  };
  const browser: BrowserCheckDetail = {
    url: end.url,
    serve: check.serve,
    stage: end.stage,
    summary: end.summary,
  };
  if (check.expectText !== undefined) browser.expectText = check.expectText;
  return {
    command: browserCheckLabel(check),
    hidden: false,
    exitCode: passed ? 0 : 1,
    signal: null,
    timedOut: false,
    durationMs: Math.round(end.durationMs),
    feedback,
    passed,
    ranNoTests: false,
    browser,
  };
}

/** Host bridge → sandbox address, and a served URL path → the workspace file behind it. */
async function localize(
  finding: Finding,
  sandbox: Sandbox,
  unbridge: (text: string) => string,
): Promise<Finding> {
  const out: Finding = { ...finding, message: unbridge(finding.message) };
  if (finding.excerpt) out.excerpt = unbridge(finding.excerpt);
  if (finding.file?.startsWith("/")) {
    const file = await servedFile(sandbox, finding.file);
    if (file) out.file = file;
  } else if (finding.file) out.file = unbridge(finding.file);
  return out;
}

async function servedFile(sandbox: Sandbox, urlPath: string): Promise<string | undefined> {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath.split(/[?#]/)[0]!).replace(/^\/+/, "");
  } catch {
    return undefined;
  }
  if (rel === "" || rel.endsWith("/")) rel = `${rel}index.html`;
  if (rel.split("/").includes("..")) return undefined;
  for (const dir of servedDirs) {
    try {
      await sandbox.readFile(`${dir}${rel}`);
      return `${dir}${rel}`;
    } catch {
      // not served from this directory; try the next
    }
  }
  return undefined;
}

function describeFinding(finding: Finding): string {
  const where = finding.file
    ? ` at ${finding.file}${finding.line ? `:${finding.line}` : ""}${finding.column ? `:${finding.column}` : ""}`
    : "";
  return `${finding.message.split("\n")[0]}${where}`;
}

function formatServerText(
  headline: string,
  findings: Finding[],
  delta: ServerLogDelta,
  roots: string[],
): string {
  const lines = [headline];
  if (findings.length > 0) {
    lines.push("errors in its log:");
    for (const finding of findings) lines.push(`  ${describeFinding(finding)}`);
  }
  lines.push(delta.lines.length > 0 ? "log:" : "(it logged nothing)");
  if (delta.lines.length > 0) lines.push(indent(tail(delta, roots), "  "));
  return lines.join("\n");
}

function tail(delta: ServerLogDelta, roots: string[]): string {
  const shown = delta.lines.slice(-logTailLines);
  const text = unroot(shown.join("\n"), roots);
  const total = delta.lines.length + delta.droppedLines;
  return total > shown.length ? `… (last ${shown.length} of ${total} lines)\n${text}` : text;
}

/** Workspace paths (also as file:// URLs) shortened to workspace-relative ones. */
function unroot(text: string, roots: string[]): string {
  let out = text;
  for (const root of roots) out = out.replaceAll(`file://${root}/`, "").replaceAll(`${root}/`, "");
  return out;
}

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line) => prefix + line)
    .join("\n");
}
