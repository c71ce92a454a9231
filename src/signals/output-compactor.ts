// The streaming form of the compactor: output is pushed in chunks as a command runs and
// never held whole. Memory stays bounded however much arrives — a fixed head, a ring
// buffer for the tail, one partial line, and each parser's bounded findings.
import { TextDecoder } from "node:util";
import { failureFingerprint } from "./failure-fingerprint.ts";
import { detach, type LineParser, type ParseResult } from "./parsers/output-parser.ts";
import { isScriptEchoLine, outputParsers, parsersForCommand } from "./parsers/registry.ts";
import { isTotalsLine, renderFeedback } from "./render-feedback.ts";
import { cleanLine } from "./strip-ansi.ts";
import type { CompactFeedback, Finding, SignalSummary } from "./types.ts";

export interface CompactOptions {
  /** The command that produced the output; helps pick parsers (`npx tsc`, `pytest -q` …). */
  command?: string;
  exitCode?: number | null;
  /** Token budget for `text` (default 2000). */
  budgetTokens?: number;
  /** The previous step's feedback for the same command, to say what changed. */
  previous?: CompactFeedback;
  /** Directory the command ran in; absolute paths under it are shown relative. */
  cwd?: string;
  /** Findings kept per parser (default 500); more are counted, not kept. */
  maxFindings?: number;
}

export type OutputStream = "stdout" | "stderr";

export interface OutputCompactor {
  /** Chunks may end mid-line; each stream keeps its own partial line so they never mix. */
  push(chunk: string | Uint8Array, stream?: OutputStream): void;
  /** Ends the stream; `exitCode` overrides the one given at creation. */
  finish(exitCode?: number | null): CompactFeedback;
}

const headLines = 200;
const tailLines = 400;
const shownLineChars = 2000;
// Longer lines are cut before parsing: JSON reports (eslint -f json) fit; a runaway line does not.
const maxLineChars = 8 * 1024 * 1024;

export function createOutputCompactor(options: CompactOptions = {}): OutputCompactor {
  const context = { cwd: options.cwd, maxFindings: options.maxFindings ?? 500 };
  const parsers: { name: string; parser: LineParser }[] = outputParsers.map((p) => ({
    name: p.name,
    parser: p.create(context),
  }));
  const head: string[] = [];
  const tail: string[] = new Array(tailLines);
  const echoed: string[] = [];
  // Totals lines seen anywhere (node:test and vitest print failure details after them).
  const totals: string[] = [];
  let tailCount = 0;
  let totalLines = 0;
  let totalChars = 0;
  const streams = new Map<OutputStream, { decoder: TextDecoder; partial: string; cut: boolean }>();
  let finished = false;

  const takeLine = (rawLine: string) => {
    const line = cleanLine(rawLine);
    totalLines++;
    totalChars += line.length + 1;
    const shown = line.length > shownLineChars ? detach(`${line.slice(0, shownLineChars)}…`) : line;
    if (head.length < headLines) head.push(shown);
    else tail[tailCount++ % tailLines] = shown;
    if (line.length < 200 && isTotalsLine(line)) {
      totals.push(line);
      if (totals.length > 8) totals.shift();
    }
    if (totalLines <= 50 && isScriptEchoLine(line) && echoed.length < 10) echoed.push(line.slice(2));
    for (const p of parsers) p.parser.push(line);
  };

  const streamOf = (name: OutputStream) => {
    let st = streams.get(name);
    if (!st) {
      st = { decoder: new TextDecoder(), partial: "", cut: false };
      streams.set(name, st);
    }
    return st;
  };

  const pushText = (st: { partial: string; cut: boolean }, text: string) => {
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      if (nl < 0) break;
      const piece = text.slice(start, nl);
      if (st.partial === "") takeLine(piece.slice(0, maxLineChars));
      else takeLine(st.cut ? st.partial : st.partial + piece.slice(0, maxLineChars - st.partial.length));
      st.partial = "";
      st.cut = false;
      start = nl + 1;
    }
    if (start < text.length && !st.cut) {
      st.partial += text.slice(start, start + maxLineChars - st.partial.length);
      st.cut = st.partial.length >= maxLineChars;
    }
  };

  return {
    push(chunk, stream = "stdout") {
      if (finished) throw new Error("output compactor: push after finish");
      const st = streamOf(stream);
      pushText(st, typeof chunk === "string" ? chunk : st.decoder.decode(chunk, { stream: true }));
    },
    finish(exitCode) {
      if (finished) throw new Error("output compactor: finish called twice");
      finished = true;
      for (const st of streams.values()) {
        pushText(st, st.decoder.decode());
        if (st.partial !== "") takeLine(st.partial);
      }
      const results = parsers.map((p) => p.parser.finish());
      const expected = parsersForCommand(options.command ?? "", ...echoed);
      const chosen = chooseResults(results, expected);
      const findings = chosen.flatMap((r) => r.findings);
      const summary = summarize(chosen, findings);
      const code = exitCode === undefined ? options.exitCode : exitCode;
      // Only worth saying when no tool was recognized: tsc and eslint print nothing when clean.
      const anySpecific = chosen.some((r) => r.parser !== "generic");
      const text = renderFeedback({
        missing: anySpecific ? [] : expected,
        command: options.command,
        exitCode: code,
        summary,
        findings,
        dropped: chosen.reduce((n, r) => n + r.dropped, 0),
        raw: { head, tail: orderedTail(), totalLines, totalChars, totals },
        budgetTokens: options.budgetTokens ?? 2000,
        previous: options.previous,
      });
      const feedback: CompactFeedback = {
        text,
        findings,
        summary,
        fingerprint: failureFingerprint(findings),
      };
      const passingTests = chosen.flatMap((r) => r.passedTests ?? []);
      if (passingTests.length > 0) feedback.passingTests = passingTests;
      return feedback;
    },
  };

  function orderedTail(): string[] {
    const kept = Math.min(tailCount, tailLines);
    const out: string[] = [];
    for (let i = tailCount - kept; i < tailCount; i++) out.push(tail[i % tailLines]!);
    return out;
  }
}

/**
 * Every specific parser that recognized its tool applies; the generic fallback only when
 * none did. Expected parsers (named by the command) come first.
 */
function chooseResults(results: ParseResult[], expected: string[]): ParseResult[] {
  const specific = results.filter((r) => r.parser !== "generic" && r.recognized);
  const chosen =
    specific.length > 0 ? specific : results.filter((r) => r.parser === "generic" && r.recognized);
  const rank = (r: ParseResult) => (expected.includes(r.parser) ? 0 : 1);
  return [...chosen].sort((a, b) => rank(a) - rank(b));
}

function summarize(chosen: ParseResult[], findings: Finding[]): SignalSummary {
  const parsers = [...new Set(chosen.map((r) => r.parser))];
  return {
    failed: chosen.reduce((n, r) => n + r.failed, 0),
    passed: chosen.reduce((n, r) => n + r.passed, 0),
    errors: chosen.reduce((n, r) => n + r.errors, 0),
    ...(chosen.some((r) => r.skipped) ? { skipped: chosen.reduce((n, r) => n + (r.skipped ?? 0), 0) } : {}),
    status: chosen.length > 0 || findings.length > 0 ? "parsed" : "unparsed",
    parsers,
  };
}
