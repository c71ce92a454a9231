// `npm run bench -- signals [--json]`: how small the compacted feedback is on large real
// failing logs, and whether it still names every failing test (or compile error) with its
// first location. Cases: one generated 200-test suite with 40 failures run under node:test,
// vitest and jest, and a TypeScript project with 300 errors (plain and --pretty output).
// Truth comes from each run's own machine-readable report. Baseline, measured on the same
// logs: head 5,000 + tail 5,000 characters of the raw log (what mini-swe-agent shows).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { compactOutput, createOutputCompactor, estimateTokens } from "../src/signals/index.ts";
import { writeTestSuite, writeTscProject } from "./signals-projects.ts";

const root = resolve(import.meta.dirname, "..");
const bin = (name: string) => join(root, "node_modules/.bin", name);

interface Expected {
  /** Test name (levels joined by " > "), or undefined for a compile error. */
  test?: string;
  file: string;
  line: number;
  column?: number;
  /** Other frames inside the repo that also count as "a first location" (see truthFrom). */
  alternatives?: { file: string; line: number }[];
}

interface CaseResult {
  name: string;
  rawTokens: number;
  compactTokens: number;
  ratio: number;
  expected: number;
  kept: number;
  failingKeptPct: number;
  baselineTokens: number;
  baselineKeptPct: number;
  parseMs: number;
  /** The compacted text itself (printed with --show, left out of --json). */
  text?: string;
}

function run(command: string, args: string[], cwd: string): string {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const r = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    env: { ...env, CI: "1", NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  if (r.error) throw r.error;
  return `${r.stdout}${r.stderr}`;
}

/** Frames of a JavaScript stack inside the project (not node_modules, not the runtime), first first. */
function userFrames(stack: string, cwd: string): { file: string; line: number }[] {
  const out: { file: string; line: number }[] = [];
  for (const m of stack.matchAll(/(?:\(|at |❯ )(?:file:\/\/)?([^\s()]+):(\d+):\d+\)?$/gm)) {
    const file = m[1]!;
    if (file.startsWith("node:") || file.includes("node_modules")) continue;
    out.push({ file: file.startsWith(`${cwd}/`) ? file.slice(cwd.length + 1) : file, line: Number(m[2]) });
  }
  return out;
}

/**
 * The runner's own first user frame, plus the later ones it may print instead: vitest's
 * terminal report sometimes skips a src/ frame its JSON report has, and a parser can only
 * report what was printed.
 */
function truthFrom(test: string, stack: string, cwd: string): Expected {
  const frames = userFrames(stack, cwd);
  return { test, ...frames[0]!, alternatives: frames.slice(1) };
}

type JsonAssertion = { ancestorTitles: string[]; title: string; status: string; failureMessages: string[] };

function fromJsonReport(path: string, cwd: string): Expected[] {
  const report = JSON.parse(readFileSync(path, "utf8")) as {
    testResults: { assertionResults: JsonAssertion[] }[];
  };
  return report.testResults
    .flatMap((r) => r.assertionResults)
    .filter((a) => a.status === "failed")
    .map((a) => truthFrom([...a.ancestorTitles, a.title].join(" > "), a.failureMessages[0] ?? "", cwd));
}

function fromJUnit(path: string, cwd: string): Expected[] {
  const xml = readFileSync(path, "utf8")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
  const out: Expected[] = [];
  const suites: string[] = [];
  for (const m of xml.matchAll(
    /<testsuite\b[^>]*?\sname="([^"]*)"[^>]*>|<\/testsuite>|<testcase\b[^>]*?\sname="([^"]*)"[^>]*?(?:\/>|>([\s\S]*?)<\/testcase>)/g,
  )) {
    if (m[1] !== undefined) suites.push(m[1]);
    else if (m[0] === "</testsuite>") suites.pop();
    else if (m[3]?.includes("<failure")) out.push(truthFrom([...suites, m[2]!].join(" > "), m[3], cwd));
  }
  return out;
}

/**
 * Is every expected failure named with its first location in `text`? Reads the compact
 * forms: `path` or `path, in "suite":` headers over `line:col name: message` rows (tests),
 * and `path: E1 3,9` or `path:3:5,9:5: message` rows (compile errors).
 */
function keptCount(text: string, expected: Expected[]): number {
  const tests = new Map<string, Set<string>>();
  const positions = new Set<string>();
  let header = "";
  let prefix = "";
  for (const line of text.split("\n")) {
    const fileHeader = /^([^\s:]+\.\w+)(?:, in "(.+)":)?$/.exec(line);
    if (fileHeader) {
      header = fileHeader[1]!;
      prefix = fileHeader[2] ? `${fileHeader[2]} > ` : "";
      continue;
    }
    const row = /^ {2}(\d+)(?::\d+)? (.+?): /.exec(line);
    if (row && header) {
      const name = prefix + row[2]!;
      const at = tests.get(name) ?? new Set<string>();
      at.add(`${header}:${row[1]}`);
      tests.set(name, at);
      continue;
    }
    const labelled = /^([^\s:]+\.\w+): ((?:E\d+ [\d:,]+ ?)+)$/.exec(line);
    if (labelled) {
      for (const part of labelled[2]!.matchAll(/E\d+ ([\d:,]+)/g))
        for (const pos of part[1]!.split(",")) positions.add(`${labelled[1]}:${pos.split(":")[0]}`);
      continue;
    }
    const plain = /^\s*([^\s:]+\.\w+):([\d:,]+?)(?::\s|$)/.exec(line);
    if (plain) for (const pos of plain[2]!.split(",")) positions.add(`${plain[1]}:${pos.split(":")[0]}`);
  }
  return expected.filter((e) => {
    if (e.test === undefined) return positions.has(`${e.file}:${e.line}`);
    const at = tests.get(e.test);
    return [e, ...(e.alternatives ?? [])].some((loc) => at?.has(`${loc.file}:${loc.line}`));
  }).length;
}

function measure(name: string, raw: string, expected: Expected[], command: string, cwd: string): CaseResult {
  const started = performance.now();
  const feedback = compactOutput(raw, { command, cwd, exitCode: 1 });
  const parseMs = performance.now() - started;
  const baseline = raw.length <= 10_000 ? raw : `${raw.slice(0, 5000)}\n…\n${raw.slice(-5000)}`;
  const kept = keptCount(feedback.text, expected);
  const baselineKept = expected.filter((e) =>
    e.test === undefined
      ? baseline.includes(`${e.file}(${e.line},${e.column})`) ||
        baseline.includes(`${e.file}:${e.line}:${e.column}`)
      : baseline.includes(e.test.split(" > ").at(-1)!) && baseline.includes(`${e.file}:${e.line}`),
  ).length;
  const rawTokens = estimateTokens(raw);
  const compactTokens = estimateTokens(feedback.text);
  return {
    name,
    rawTokens,
    compactTokens,
    ratio: compactTokens / rawTokens,
    expected: expected.length,
    kept,
    failingKeptPct: (100 * kept) / Math.max(expected.length, 1),
    baselineTokens: estimateTokens(baseline),
    baselineKeptPct: (100 * baselineKept) / Math.max(expected.length, 1),
    parseMs,
    text: feedback.text,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function tscExpected(plain: string): Expected[] {
  return [...plain.matchAll(/^(.+?)\((\d+),(\d+)\): error TS\d+/gm)].map((m) => ({
    file: m[1]!,
    line: Number(m[2]),
    column: Number(m[3]),
  }));
}

/**
 * The generated suite under each JavaScript runner: how to run it so that the same run also
 * writes the runner's own report, and how to read that report as the truth.
 */
const runnerCases: {
  runner: "node" | "vitest" | "jest";
  label: string;
  command: string;
  run(dir: string): string;
  truth(dir: string): Expected[];
}[] = [
  {
    runner: "node",
    label: "node:test spec",
    command: "node --test",
    run: (dir) =>
      run(
        process.execPath,
        [
          "--test",
          "--test-reporter=spec",
          "--test-reporter-destination=stdout",
          "--test-reporter=junit",
          "--test-reporter-destination=report.xml",
          "test/",
        ],
        dir,
      ),
    truth: (dir) => fromJUnit(join(dir, "report.xml"), dir),
  },
  {
    runner: "vitest",
    label: "vitest",
    command: "vitest run",
    run: (dir) =>
      run(
        bin("vitest"),
        ["run", "--reporter=default", "--reporter=json", "--outputFile.json=report.json"],
        dir,
      ),
    truth: (dir) => fromJsonReport(join(dir, "report.json"), dir),
  },
  {
    runner: "jest",
    label: "jest",
    command: "jest",
    // Jest says where it wrote the JSON; that line is not part of its report.
    run: (dir) =>
      run(
        bin("jest"),
        ["--ci", "--no-watchman", "--testMatch", "**/test/*.test.cjs", "--json", "--outputFile=report.json"],
        dir,
      ).replace(/^Test results written to.*$/m, ""),
    truth: (dir) => fromJsonReport(join(dir, "report.json"), dir),
  },
];

/** Streams a big log through the compactor in 64 KiB chunks; reports throughput and heap growth. */
function measureStream(
  sample: string,
  megabytes: number,
): { mb: number; seconds: number; heapGrowthMb: number } {
  const compactor = createOutputCompactor({ command: "node --test" });
  const chunk = Buffer.from(sample.repeat(Math.max(1, Math.ceil(65536 / sample.length))));
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const started = performance.now();
  let sent = 0;
  for (let i = 0; sent < megabytes * 1024 * 1024; i++) {
    compactor.push(chunk);
    sent += chunk.length;
    if (i % 64 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  compactor.finish(1);
  return {
    mb: sent / 1024 / 1024,
    seconds: (performance.now() - started) / 1000,
    heapGrowthMb: (peak - before) / 1024 / 1024,
  };
}

export async function main(args: string[]): Promise<void> {
  const json = args.includes("--json");
  const show = args.includes("--show");
  const work = mkdtempSync(join(tmpdir(), "closedloop-bench-signals-"));
  const cases: CaseResult[] = [];
  let nodeSpec = "";
  try {
    for (const c of runnerCases) {
      const dir = join(work, c.runner);
      writeTestSuite(dir, c.runner);
      const raw = c.run(dir);
      // The node:test log is also the sample the streaming measurement repeats.
      if (c.runner === "node") nodeSpec = raw;
      cases.push(measure(`${c.label}, 200 tests / 40 failing`, raw, c.truth(dir), c.command, dir));
    }

    const tscDir = join(work, "tsc");
    writeTscProject(tscDir);
    const plain = run(bin("tsc"), ["-p", ".", "--pretty", "false"], tscDir);
    const pretty = run(bin("tsc"), ["-p", ".", "--pretty", "true"], tscDir);
    const expected = tscExpected(plain);
    cases.push(measure(`tsc plain, ${expected.length} errors`, plain, expected, "tsc -p .", tscDir));
    cases.push(measure(`tsc --pretty, ${expected.length} errors`, pretty, expected, "tsc -p .", tscDir));
  } finally {
    if (args.includes("--keep")) console.error(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }

  const total = (key: "rawTokens" | "compactTokens" | "expected" | "kept") =>
    cases.reduce((n, c) => n + c[key], 0);
  const rawTokens = total("rawTokens");
  const compactTokens = total("compactTokens");
  const expectedTotal = total("expected");
  const keptTotal = total("kept");
  const stream = args.includes("--no-stream")
    ? { mb: 0, seconds: 0, heapGrowthMb: 0 }
    : measureStream(nodeSpec, 64);
  const summary = {
    rawTokens,
    compactTokens,
    ratio: compactTokens / rawTokens,
    failingKeptPct: (100 * keptTotal) / expectedTotal,
    worstRatio: Math.max(...cases.map((c) => c.ratio)),
    cases,
    stream,
  };
  if (show) for (const c of cases) console.log(`===== ${c.name}\n${c.text}\n`);
  for (const c of cases) delete c.text;
  if (json) {
    console.log(JSON.stringify(summary, null, 2));
    return;
  }
  // The total row shares the case rows' first cells; it has no baseline or timing of its own.
  const cells = (r: Omit<CaseResult, "baselineTokens" | "baselineKeptPct" | "parseMs">) => [
    r.name,
    String(r.rawTokens),
    String(r.compactTokens),
    pct(r.ratio),
    `${r.kept}/${r.expected} (${r.failingKeptPct.toFixed(0)}%)`,
  ];
  const rows = [
    ["case", "raw tok", "compact tok", "ratio", "kept", "baseline tok", "baseline kept", "parse ms"],
    ...cases.map((c) => [
      ...cells(c),
      String(c.baselineTokens),
      `${c.baselineKeptPct.toFixed(0)}%`,
      c.parseMs.toFixed(0),
    ]),
    [...cells({ ...summary, name: "total", kept: keptTotal, expected: expectedTotal }), "", "", ""],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows)
    console.log(
      r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "),
    );
  console.log(
    `\ntargets: compact ≤ 10% of raw tokens (worst case ${pct(summary.worstRatio)}), 100% of failing tests and first locations kept (${summary.failingKeptPct.toFixed(0)}%)`,
  );
  console.log(
    `streaming: ${stream.mb.toFixed(0)} MiB of node:test output in ${stream.seconds.toFixed(1)} s (${(stream.mb / stream.seconds).toFixed(0)} MiB/s), heap growth ${stream.heapGrowthMb.toFixed(1)} MiB`,
  );
}
