// Writes what the model reads: one summary line, what changed since the last try, every
// failure (grouped when the same error repeats), then a marked head and tail of the raw
// log — or only the runner's totals when every failure it counted was parsed. Detail
// shrinks step by step — excerpts, then messages — until it fits the token budget;
// failing test names and their first locations are the last thing to go.
import { estimateTokens } from "../util/index.ts";
import { diffFailures, formatFailureDiff, truncate } from "./failure-diff.ts";
import { formatLocation } from "./stack-frames.ts";
import type { CompactFeedback, Finding, SignalSummary } from "./types.ts";

export interface RawLog {
  head: string[];
  tail: string[];
  totalLines: number;
  totalChars: number;
  /** The last lines anywhere in the log that look like a runner's totals (see `isTotalsLine`). */
  totals?: string[];
}

export interface RenderInput {
  command?: string;
  exitCode?: number | null;
  summary: SignalSummary;
  findings: Finding[];
  /** Findings the parsers counted but did not keep. */
  dropped: number;
  raw: RawLog;
  budgetTokens: number;
  previous?: CompactFeedback;
  /** Tools the command named whose output was not recognized (a crash before they printed, a wrong flag …). */
  missing?: string[];
}

type Detail = 3 | 2 | 1;

const labels: Record<Finding["kind"] | "warning", string> = {
  "compile-error": "Compile errors",
  "runtime-error": "Runtime errors",
  "server-error": "Server errors",
  browser: "Browser errors",
  "test-failure": "Failing tests",
  lint: "Lint errors",
  warning: "Warnings",
};

const kindOrder: Finding["kind"][] = [
  "compile-error",
  "runtime-error",
  "server-error",
  "browser",
  "test-failure",
  "lint",
];

export function renderFeedback(input: RenderInput): string {
  const head = renderHeader(input);
  const budgetChars = input.budgetTokens * 4;
  let body: string[] = [];
  const complete = isCompleteParse(input);
  for (const detail of [3, 2, 1] as Detail[]) {
    body = renderFindings(input.findings, detail, complete);
    if (size(head) + size(body) <= budgetChars * 0.85) break;
  }
  if (size(head) + size(body) > budgetChars) body = cutToFit(body, budgetChars - size(head) - 200);
  if (input.dropped > 0) body.push(`(${input.dropped} more findings were counted but not kept)`);
  const left = budgetChars - size(head) - size(body);
  // Every failure the runner counted is listed above: the raw log adds only its totals.
  if (complete) return [...head, ...body, ...renderSummaryTail(input.raw, Math.min(left, 200))].join("\n");
  // Parsed output that explains the exit needs only a glimpse of the raw log (its last lines
  // usually hold the totals); anything else gets all the budget that is left.
  const rawChars =
    input.summary.status === "parsed" && !isUnexplainedFailure(input) ? Math.min(left, 320) : left;
  return [...head, ...body, ...renderRaw(input.raw, rawChars)].join("\n");
}

/**
 * Test runs whose every counted failure was parsed into a finding, and nothing else went
 * wrong: only then may the raw log shrink to its last lines and repeated messages to
 * their differences. Anything partial keeps the full raw head and tail.
 */
function isCompleteParse(input: RenderInput): boolean {
  const s = input.summary;
  if (s.status !== "parsed" || input.dropped > 0 || s.errors > 0 || s.failed === 0) return false;
  if (input.findings.some((f) => f.kind !== "test-failure" && f.severity !== "warning")) return false;
  const tests = input.findings.filter((f) => f.kind === "test-failure" && f.severity !== "warning");
  return tests.length === s.failed && tests.every((f) => f.test !== undefined && f.file !== undefined);
}

// `Tests: 40 failed, 160 passed` (jest), `Test Files  10 failed (10)` (vitest), `ℹ fail 40` (node:test).
const totalsLine =
  /^\s*(?:ℹ |# )?(?:tests?|test files|test suites|suites|pass|fail|failed|passed)\b[^a-z]*\d/i;

export function isTotalsLine(line: string): boolean {
  return totalsLine.test(line);
}

/**
 * The runner's own totals (`Tests: 40 failed, 160 passed`) from the last lines of the log,
 * whitespace squeezed; the plain last lines when none look like totals.
 */
function renderSummaryTail(raw: RawLog, budgetChars: number): string[] {
  const lines = (raw.tail.length > 0 ? raw.tail : raw.head)
    .map((l) => l.replace(/\s+/g, " ").trim())
    .filter((l) => l !== "");
  // Runners print totals last on stdout, but failures on stderr (or a recap) may follow them,
  // so the compactor keeps totals lines wherever they were seen.
  const totals = (raw.totals ?? lines.filter((l) => totalsLine.test(l)))
    .map((l) => l.replace(/\s+/g, " ").trim())
    .slice(-4);
  const kept = takeWithin([...(totals.length > 0 ? totals : lines.slice(-12))].reverse(), budgetChars - 40);
  return ["--- runner's totals ---", ...kept.reverse()];
}

function renderHeader(input: RenderInput): string[] {
  const lines: string[] = [];
  const exit = input.exitCode === undefined ? "" : ` (exit ${input.exitCode ?? "signal"})`;
  if (input.command) lines.push(`$ ${truncate(input.command, 200)}${exit}`);
  else if (exit) lines.push(`exit${exit}`);
  const s = input.summary;
  if (s.status === "unparsed") {
    lines.push(
      "UNPARSED: no known compiler, linter or test runner output was recognized — this is not a success. Raw output follows.",
    );
  } else {
    lines.push(`${s.failed} failed, ${s.passed} passed, ${s.errors} errors [${s.parsers.join(", ")}]`);
    if (isUnexplainedFailure(input))
      lines.push(
        "The command failed, but no failing test or error was recognized in its output: read the raw output below.",
      );
  }
  if (input.missing && input.missing.length > 0)
    lines.push(`Expected output from ${input.missing.join(", ")} but recognized none of it.`);
  if (input.previous) {
    if (input.previous.summary.status === "unparsed" && input.previous.findings.length === 0)
      lines.push("Since the previous run: the previous output was not parsed, so nothing to compare.");
    else lines.push(...formatFailureDiff(diffFailures(input.previous.findings, input.findings)));
  }
  return lines;
}

/** A non-zero exit that the parsed findings do not account for (a crash after the summary, a wrapper failing). */
function isUnexplainedFailure(input: RenderInput): boolean {
  const failedRun = input.exitCode === null || (input.exitCode !== undefined && input.exitCode !== 0);
  const explained =
    input.summary.failed > 0 ||
    input.summary.errors > 0 ||
    input.findings.some((f) => f.severity !== "warning");
  return failedRun && !explained;
}

function renderFindings(findings: Finding[], detail: Detail, complete: boolean): string[] {
  const out: string[] = [];
  for (const kind of kindOrder) {
    const ofKind = findings.filter((f) => f.kind === kind && f.severity !== "warning");
    if (ofKind.length > 0)
      out.push(
        ...(kind === "test-failure"
          ? renderTests(ofKind, detail, complete)
          : renderErrors(ofKind, kind, detail)),
      );
  }
  const warnings = findings.filter((f) => f.severity === "warning");
  if (warnings.length > 0) {
    if (detail >= 2) out.push(...renderErrors(warnings, "warning", 1));
    else out.push(`${warnings.length} warnings (not shown)`);
  }
  return out;
}

/**
 * Failing tests grouped by the file of their first location (`path` header, then
 * `line:col name: message`); a message repeated verbatim is printed once.
 */
function renderTests(findings: Finding[], detail: Detail, complete: boolean): string[] {
  // Complete parses say a repeated message with the ditto mark, defined once here.
  const same = complete ? "〃" : "(same error)";
  const out = [`Failing tests (${findings.length}), by file:`];
  let usedDitto = false;
  const seen = new Set<string>();
  const shapes = new Set<string>();
  const firstOfShape = new Map<string, string>();
  for (const inFile of groupBy(sortByLocation(findings), (f) => f.file ?? "")) {
    // The suite names every test in the file shares are said once, in the file's header.
    const prefix = sharedSuitePrefix(inFile.map((f) => f.test ?? ""));
    const file = inFile[0]!.file || "(no location)";
    out.push(prefix ? `${file}, in "${prefix}":` : file);
    for (const f of inFile) {
      const key = `${f.source}|${f.message}`;
      const repeated = seen.has(key);
      seen.add(key);
      // One example diff per kind of failure: the same shape with other numbers adds little.
      const shape = `${f.source}|${f.message.replace(/\d+/g, "#")}`;
      const like = complete && !repeated ? sameButWords(firstOfShape.get(shape), f.message) : undefined;
      if (!firstOfShape.has(shape)) firstOfShape.set(shape, f.message);
      const message = repeated ? same : (like ?? truncate(f.message, detail === 1 ? 80 : 240));
      if (complete && (repeated || like !== undefined)) usedDitto = true;
      const showExcerpt = detail === 3 && !shapes.has(shape) && f.excerpt !== undefined;
      shapes.add(shape);
      // Complete parses give the line only: forty columns cost more than they tell.
      const pos = f.line === undefined ? "" : `${complete ? f.line : positionOf(f)} `;
      const name = f.test ? f.test.slice(prefix ? prefix.length + 3 : 0) : "(unnamed test)";
      out.push(`  ${pos}${name}: ${message}`);
      if (showExcerpt && complete) out.push(...indent(squeeze(limitLines(f.excerpt!, 4)), "    "));
      else if (showExcerpt) out.push(...indent(limitLines(f.excerpt!, 4), "      "));
    }
  }
  // The ditto mark is defined once, and only where it is used.
  if (usedDitto) out[0] = `Failing tests (${findings.length}) by file, 〃 = same error as above:`;
  return out;
}

/**
 * Compiler, lint and runtime errors. Few: one line per distinct message with its locations.
 * Many repeats (a rename across a codebase): each message once under a label, then one
 * line per file listing the labels' positions.
 */
function renderErrors(findings: Finding[], kind: Finding["kind"] | "warning", detail: Detail): string[] {
  const groups = groupBy(findings, (f) => `${f.source}|${f.message}`);
  const files = groupBy(sortByLocation(findings), (f) => f.file ?? "");
  const out = [`${labels[kind]} (${findings.length} in ${files.length} files):`];
  if (findings.length >= 10 && findings.length >= 2 * groups.length) {
    const label = new Map<string, string>();
    groups.forEach((group, i) => {
      const first = group[0]!;
      label.set(`${first.source}|${first.message}`, `E${i + 1}`);
      out.push(`  E${i + 1} ${truncate(first.message, 240)} (×${group.length})`);
      if (detail === 3 && first.excerpt) out.push(...indent(limitLines(first.excerpt, 4), "      "));
    });
    out.push("  (per file: label, then line numbers)");
    for (const inFile of files) {
      const parts = groupBy(inFile, (f) => `${f.source}|${f.message}`).map(
        // Lines only: with the message named by its label, the column adds little and costs much.
        (g) => `${label.get(`${g[0]!.source}|${g[0]!.message}`)} ${g.map((f) => f.line ?? "?").join(",")}`,
      );
      out.push(`${inFile[0]!.file || "(no file)"}: ${parts.join(" ")}`);
    }
    return out;
  }
  for (const group of groups) {
    const first = group[0]!;
    const count = group.length > 1 ? ` (×${group.length})` : "";
    const inFiles = groupBy(group, (f) => f.file ?? "");
    if (inFiles.length === 1) {
      const locs = group
        .map((f) => (f === first ? formatLocation(f) : positionOf(f)))
        .filter((l) => l !== "");
      out.push(`${locs.length > 0 ? `${locs.join(",")}: ` : ""}${truncate(first.message, 240)}${count}`);
    } else {
      out.push(`${truncate(first.message, 240)}${count}`);
      for (const inFile of inFiles)
        out.push(`  ${inFile[0]!.file || "?"}:${inFile.map(positionOf).join(",")}`);
    }
    if (detail === 3 && first.excerpt) out.push(...indent(limitLines(first.excerpt, 4), "    "));
  }
  return out;
}

/**
 * `〃 but 23, 22`: a message that differs from an earlier one of the same shape
 * only in a few words, said by those words — the message is still recoverable in full.
 * Undefined when the difference is not that small.
 */
function sameButWords(earlier: string | undefined, message: string): string | undefined {
  if (earlier === undefined) return undefined;
  const a = earlier.split(" ");
  const b = message.split(" ");
  if (a.length !== b.length) return undefined;
  const differ = b.filter((w, i) => w !== a[i]).map((w) => w.replace(/[,;.]+$/, ""));
  if (differ.length === 0 || differ.length > 4) return undefined;
  const said = `〃 but ${differ.join(", ")}`;
  return said.length < message.length ? said : undefined;
}

/** The leading `suite > suite` levels all names share, when at least two tests do and a level is left for each. */
function sharedSuitePrefix(names: string[]): string {
  if (names.length < 2) return "";
  const split = names.map((n) => n.split(" > "));
  const shortest = Math.min(...split.map((s) => s.length));
  let depth = 0;
  while (depth < shortest - 1 && split.every((s) => s[depth] === split[0]![depth])) depth++;
  return split[0]!.slice(0, depth).join(" > ");
}

function sortByLocation(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      (a.file ?? "").localeCompare(b.file ?? "") ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0) ||
      (a.test ?? "").localeCompare(b.test ?? ""),
  );
}

/** Runs of spaces inside lines squeezed to one: diff alignment is not worth its tokens. */
function squeeze(text: string): string {
  return text
    .split("\n")
    .map((l) => l.replace(/(\S) {2,}/g, "$1 ").trim())
    .join("\n");
}

function limitLines(text: string, max: number): string {
  const lines = text.split("\n");
  return lines.length <= max ? text : [...lines.slice(0, max), "…"].join("\n");
}

function renderRaw(raw: RawLog, totalBudgetChars: number): string[] {
  if (raw.totalLines === 0) return ["(no output)"];
  const budgetChars = totalBudgetChars - 120; // the section's own header and cut marker
  // When nothing fell between head and tail, they are one list that can be cut anywhere.
  const whole = raw.head.length + raw.tail.length === raw.totalLines;
  const first = whole ? [...raw.head, ...raw.tail] : raw.head;
  const last = whole ? first : raw.tail;
  const head = takeWithin(first, Math.floor(budgetChars / 3));
  const tail = takeWithin(
    [...last.slice(whole ? head.length : 0)].reverse(),
    budgetChars - size(head),
  ).reverse();
  const cut = raw.totalLines - head.length - tail.length;
  if (cut <= 0) return [`--- output (${raw.totalLines} lines) ---`, ...head, ...tail];
  return [
    `--- output: ${raw.totalLines} lines, ${raw.totalChars} chars; first ${head.length} and last ${tail.length} lines shown ---`,
    ...head,
    `… [${cut} lines cut] …`,
    ...tail,
  ];
}

function takeWithin(lines: string[], budgetChars: number): string[] {
  const out: string[] = [];
  let used = 0;
  for (const line of lines) {
    const shown = truncate(line, 300);
    if (used + shown.length + 1 > budgetChars) break;
    out.push(shown);
    used += shown.length + 1;
  }
  return out;
}

function cutToFit(lines: string[], budgetChars: number): string[] {
  const kept = takeWithin(lines, Math.max(budgetChars, 0));
  const rest = lines.length - kept.length;
  return rest > 0 ? [...kept, `… [${rest} more lines of findings cut to fit the budget; see --json]`] : kept;
}

function positionOf(f: Finding): string {
  if (f.line === undefined) return "?";
  return f.column === undefined ? `${f.line}` : `${f.line}:${f.column}`;
}

function groupBy<T>(items: T[], key: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const g = groups.get(k);
    if (g) g.push(item);
    else groups.set(k, [item]);
  }
  return [...groups.values()];
}

function indent(text: string, prefix: string): string[] {
  return text.split("\n").map((l) => `${prefix}${l}`);
}

function size(lines: string[]): number {
  return estimateTokens(lines.join("\n")) * 4;
}
