// The contract every parser implements. Parsers read output one line at a time, so the
// compactor can push a stream of any size through them; each keeps a bounded number of
// findings (the rest is counted) and says whether it recognized anything at all. Below the
// contract: the readers several parsers share (excerpts, failure blocks, totals lines).
import { firstRepoFrame, type SourceLocation } from "../stack-frames.ts";
import type { Finding } from "../types.ts";

export type ParserName =
  | "tsc"
  | "eslint"
  | "node-test"
  | "tap"
  | "jest"
  | "vitest"
  | "mocha"
  | "pytest"
  | "go"
  | "cargo"
  | "junit"
  | "generic";

export interface ParseContext {
  /** Repo root as the tool saw it; absolute paths under it are shown relative. */
  cwd?: string;
  /** Findings kept per parser; the rest are counted in `dropped`. */
  maxFindings: number;
}

export interface ParseResult {
  parser: ParserName;
  /** True when the parser saw output it knows (a summary line, a failure header …). */
  recognized: boolean;
  findings: Finding[];
  /** Findings beyond `maxFindings`, counted but not kept. */
  dropped: number;
  failed: number;
  passed: number;
  errors: number;
  /** Names of passing tests, where the output names them (bounded; see PassingTests). */
  passedTests?: string[];
  skipped?: number;
}

export interface LineParser {
  /** One line, ANSI already stripped, no trailing newline. */
  push(line: string): void;
  finish(): ParseResult;
}

export interface OutputParser {
  readonly name: ParserName;
  /** Matches a command line (or an npm script line such as `> vitest run`) that runs this tool. */
  readonly command: RegExp;
  create(context: ParseContext): LineParser;
}

const maxExcerptLines = 8;
const maxExcerptChars = 600;

/** Keeps a bounded, de-duplicated list of findings and counts what it had to drop. */
export class FindingSink {
  readonly findings: Finding[] = [];
  dropped = 0;
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  add(input: Finding): void {
    const finding = detachFinding(input);
    const key = `${finding.source}|${finding.kind}|${finding.test ?? ""}|${finding.file ?? ""}|${finding.line ?? ""}|${finding.column ?? ""}|${finding.message}`;
    if (this.seen.has(key)) return;
    if (this.findings.length >= this.max) {
      this.dropped++;
      return;
    }
    this.seen.add(key);
    this.findings.push(finding);
  }

  count(predicate: (finding: Finding) => boolean): number {
    return this.findings.filter(predicate).length;
  }

  /** The parse result over what was kept; without a totals line, `failed` is the test failures kept. */
  result(
    parser: ParserName,
    totals: { recognized: boolean; failed?: number; passed?: number; errors: number },
  ): ParseResult {
    return {
      parser,
      recognized: totals.recognized,
      findings: this.findings,
      dropped: this.dropped,
      failed: totals.failed ?? this.count((f) => f.kind === "test-failure"),
      passed: totals.passed ?? 0,
      errors: totals.errors,
    };
  }
}

/**
 * The names of the tests that passed, for the baseline witness (which test passed before and
 * still does). Bounded so a suite of a million tests costs little; `complete` says whether
 * every name was kept.
 */
export class PassingTests {
  static readonly max = 20_000;
  readonly names: string[] = [];
  complete = true;

  add(name: string): void {
    if (this.names.length < PassingTests.max) this.names.push(detach(name));
    else this.complete = false;
  }
}

/**
 * A copy of `text` that does not keep the chunk it was cut from alive: V8 represents a
 * substring as a view of its parent, so a kept message would otherwise pin a whole chunk of
 * a long stream in memory.
 */
export function detach(text: string): string {
  return text.length < 16 ? text : Buffer.from(text, "utf8").toString("utf8");
}

function detachFinding(f: Finding): Finding {
  const out: Finding = { ...f, message: detach(f.message) };
  if (f.test !== undefined) out.test = detach(f.test);
  if (f.file !== undefined) out.file = detach(f.file);
  if (f.excerpt !== undefined) out.excerpt = detach(f.excerpt);
  return out;
}

/** A few lines of context, trimmed to a size the model can afford for every finding. */
export function makeExcerpt(lines: string[]): string | undefined {
  const kept: string[] = [];
  let chars = 0;
  for (const line of focusDiff(trimBlank(lines))) {
    if (kept.length >= maxExcerptLines || chars + line.length > maxExcerptChars) {
      kept.push("…");
      break;
    }
    kept.push(line);
    chars += line.length + 1;
  }
  return kept.length > 0 ? dedent(kept).join("\n") : undefined;
}

/**
 * Assertion diffs (`- Expected` / `+ Received`, `+ actual - expected`) are mostly unchanged
 * context; keep the changed lines, which are what the model needs.
 */
function focusDiff(lines: string[]): string[] {
  const header = lines.findIndex((l) =>
    /^\s*(?:[+-] (?:Expected|Received|actual|expected)\b|\+ actual - expected)/.test(l),
  );
  if (header < 0) return lines;
  const body = lines
    .slice(header + 1)
    .filter((l) => !/^\s*(?:[+-] (?:Expected|Received)\b|@@ .* @@)/.test(l));
  const changed = body.filter((l) => /^\s*[+-]\s/.test(l));
  return changed.length > 0 ? [...lines.slice(0, header), ...changed] : lines;
}

function trimBlank(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start]!.trim() === "") start++;
  while (end > start && lines[end - 1]!.trim() === "") end--;
  return lines.slice(start, end);
}

function dedent(lines: string[]): string[] {
  const indents = lines.filter((l) => l.trim() !== "").map((l) => /^\s*/.exec(l)![0].length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return lines.map((l) => l.slice(Math.min(cut, /^\s*/.exec(l)![0].length)).trimEnd());
}

/** Lines collected for the finding being read, bounded so a runaway block costs nothing. */
export class LineBlock {
  readonly lines: string[] = [];
  constructor(private readonly max = 200) {}
  push(line: string): void {
    if (this.lines.length < this.max) this.lines.push(line);
  }
}

/** A failure opened by an indented header line; its body is what is indented deeper. */
export interface IndentedFailure {
  name: string;
  indent: number;
  block: LineBlock;
}

/**
 * True while `line` still belongs to a block opened at `indent` (node:test's spec and TAP
 * reporters indent a failure's body under its `✖` / `not ok` line): blank, or indented deeper.
 */
export function isIndentedUnder(line: string, indent: number): boolean {
  return line.trim() === "" || line.length - line.trimStart().length > indent;
}

/** What one failure block of a JavaScript runner says, read the same way for every runner. */
export interface FailureBlock {
  /** The non-blank lines before the stack or code frame. */
  messageLines: string[];
  message: string;
  /** The message lines after those the message took, the excerpt's source. */
  rest: string[];
  /** The first stack frame inside the repo, anywhere in the block. */
  frame: SourceLocation | undefined;
}

/** Reads a failure block whose message ends at the first line `isMessageEnd` accepts. */
export function readFailureBlock(
  lines: string[],
  isMessageEnd: (line: string) => boolean,
  cwd: string | undefined,
  fallback?: string,
): FailureBlock {
  const end = lines.findIndex((l) => isMessageEnd(l));
  const messageLines = (end >= 0 ? lines.slice(0, end) : lines).filter((l) => l.trim() !== "");
  return { messageLines, ...firstMessage(messageLines, fallback), frame: firstRepoFrame(lines, cwd) };
}

/**
 * Records a `<name> <count>` totals line (node:test's `ℹ pass 3`, TAP's `# pass 3`) matched
 * by `pattern` as name and count; true when `line` was one.
 */
export function readCountLine(pattern: RegExp, line: string, counts: Map<string, number>): boolean {
  const m = pattern.exec(line);
  if (m) counts.set(m[1]!, Number(m[2]));
  return m !== null;
}

/** `3 failed` and `5 passed` from a runner's totals line (jest, vitest); a missing word counts 0. */
export function readFailedPassed(text: string): { failed: number; passed: number } {
  return {
    failed: Number(/(\d+) failed/.exec(text)?.[1] ?? 0),
    passed: Number(/(\d+) passed/.exec(text)?.[1] ?? 0),
  };
}

/**
 * The first line of an error message, with the next line joined when the first only
 * introduces it (`Expected values to be strictly equal:` + `3 !== 4`).
 */
export function firstMessage(lines: string[], fallback = "failed"): { message: string; rest: string[] } {
  const nonEmpty = lines.filter((l) => l.trim() !== "");
  const first = nonEmpty[0]?.trim();
  const second = nonEmpty[1]?.trim();
  if (first === undefined) return { message: fallback, rest: [] };
  const message = stripErrorName(first);
  if (message.endsWith(":") && second !== undefined && !/^[+-] /.test(second))
    return { message: `${message} ${second}`, rest: nonEmpty.slice(2) };
  return { message, rest: nonEmpty.slice(1) };
}

function stripErrorName(line: string): string {
  // Also drops jest/vitest's `// Object.is equality` style comments: they explain the matcher, not the failure.
  const message = line.replace(/^(?:AssertionError|Error)(?: \[\w+\])?: /, "");
  return message.replace(/ \/\/ (?:Object\.is|deep) equality$/, "") || line;
}
