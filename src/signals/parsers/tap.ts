// TAP from any producer: node:test (`--test-reporter=tap`, Node 20's default off a terminal),
// tape, node-tap, ava's TAP reporter, bats and Perl's prove (`prove -v` prints the TAP; plain
// `prove` prints its own summary, read too). Nested subtests are indented by four spaces under
// `# Subtest: name` and closed by their parent's test point; tape groups flat assertions under a
// `# name` comment. Every test point becomes a named outcome (so a passing run counts its
// tests), `# SKIP` / `# TODO` are not failures, `Bail out!` and a short plan are findings.
import { firstRepoFrame, normalizePath } from "../stack-frames.ts";
import {
  FindingSink,
  firstMessage,
  type IndentedFailure,
  isIndentedUnder,
  LineBlock,
  type LineParser,
  makeExcerpt,
  type OutputParser,
  type ParseContext,
  PassingTests,
} from "./output-parser.ts";
import { readTapYaml, unquoteYaml } from "./tap-yaml.ts";

const version = /^TAP version 1[234]$/;
const subtest = /^(\s*)# Subtest: (.+)$/;
const point = /^(\s*)(not ok|ok)\b(?:\s+(\d+))?(?:\s*-)?\s*(.*)$/i;
const plan = /^(\s*)1\.\.(\d+)(?:\s*#.*)?$/;
const counter = /^# (tests|pass|fail|skip|todo|cancelled)\s+(\d+)$/;
const bailOut = /^\s*Bail out!\s*(.*)$/;
// prove's own summary: `Files=2, Tests=7,  0 wallclock secs`, `t/a.t (Wstat: 256 …  Failed: 1)`.
const proveTotals = /^Files=(\d+), Tests=(\d+),/;
const proveFile = /^(\S+?\.t)\s+\.{2,}\s*(ok)?\s*$/;
const proveReport = /^(\S+?\.t) \(Wstat: .*Tests: \d+ Failed: \d+\)$/;
const proveFailedList = /^\s+Failed tests?:\s+([\d\s,-]+)$/;
// node-tap's totals: `# { total: 5, pass: 2, fail: 1, todo: 1, skip: 1 }`.
const tapTotals = /^# \{ total: (\d+)(.*)\}$/;

export const tapParser: OutputParser = {
  name: "tap",
  command:
    /--test-reporter[= ]tap\b|(?:^|[\s/])(?:tape|tap|bats|prove|ava)(?:\s|$)|(?:^|\s)node(?:\s+\S+)*\s+--test\b/,
  create: (context) => createTapParser(context),
};

/** Splits `name # SKIP why` into the name and its directive; `\#` is a literal hash. */
function splitDirective(text: string): { name: string; directive?: "skip" | "todo" } {
  const m = /^(.*?)\s*(?<!\\)#\s*(SKIP|TODO)\b.*$/i.exec(text);
  const rest = m ? m[1]! : text.replace(/\s*(?<!\\)#\s*time=\S+\s*$/, "");
  const name = rest.replace(/\\#/g, "#").trim();
  return m ? { name, directive: m[2]!.toLowerCase() as "skip" | "todo" } : { name };
}

function createTapParser(context: ParseContext): LineParser {
  const sink = new FindingSink(context.maxFindings);
  const passing = new PassingTests();
  const names: string[] = [];
  const counts = new Map<string, number>();
  const seenIds = new Map<string, number>();
  // Depths at which a test point has been seen since the enclosing level's last point: a point
  // whose deeper level saw points is a parent (a suite), not a test of its own.
  const childSeen: boolean[] = [];
  const pointsAt: number[] = [];
  const plans: { depth: number; count: number }[] = [];
  let pending: IndentedFailure | undefined;
  let group: string | undefined;
  let recognized = false;
  const leaves = { pass: 0, fail: 0, skip: 0, failedTodo: 0 };
  let bailed: string | undefined;
  let proveTests: number | undefined;
  let proveCurrent: string | undefined;
  // Per depth: a test below it failed, so its parent's own `not ok` adds nothing.
  const childFailed: boolean[] = [];
  // node:test prints what a test file wrote to stderr as `# …` lines before its point; when
  // the file itself failed (it threw while loading), that is the only place the error is.
  let fileOutput: string[] = [];
  let pendingOutput: string[] = [];

  const uniqueId = (id: string) => {
    const n = (seenIds.get(id) ?? 0) + 1;
    seenIds.set(id, n);
    return n === 1 ? id : `${id} (${n})`;
  };

  const flush = () => {
    if (!pending) return;
    const { name, block } = pending;
    pending = undefined;
    const output = pendingOutput;
    pendingOutput = [];
    const yaml = readTapYaml(block.lines);
    if (yaml.get("type") === "'suite'" || yaml.get("failureType") === "'subtestsFailed'") return;
    const thrown = output.findIndex((l) => /^(?:\w+ )?\w*(?:Error|Exception)\b[^:]*: /.test(l.trim()));
    const fileFailed =
      yaml.get("failureType") === "'testCodeFailure'" &&
      unquoteYaml(yaml.get("error") ?? "") === "test failed";
    const diagnostics = block.lines.map((l) => l.trim().replace(/^#\s*/, "")).filter((l) => l !== "");
    // bats: `(in test file a.bats, line 5)`; Test::More: `at t/a.t line 3.`
    const where = diagnostics
      .map((l) => /^\(in test file (\S+), line (\d+)\)$|^at (\S+) line (\d+)\.$/.exec(l))
      .find((m) => m !== null);
    const compared =
      yaml.get("expected") !== undefined && yaml.get("actual") !== undefined
        ? [`expected ${yaml.get("expected")!.trim()}, actual ${yaml.get("actual")!.trim()}`]
        : undefined;
    // ava: `message:` (may be '') and `assertion: t.is()`, its diff under `details:`.
    const avaMessage = unquoteYaml(yaml.get("message") ?? "").trim();
    const assertion = yaml.get("assertion");
    const errorLines =
      (fileFailed && thrown >= 0 ? output.slice(thrown) : undefined) ??
      yaml.block("error") ??
      compared ??
      (avaMessage ? [avaMessage] : assertion ? [`${assertion.trim()} failed`] : undefined) ??
      (yaml.size === 0
        ? diagnostics.filter((l) => !/^\(in test file |^at \S+ line \d+\.$|^Failed test\b/.test(l))
        : []);
    const stack = yaml.block("stack") ?? (fileFailed && thrown >= 0 ? output.slice(thrown) : block.lines);
    const frame = firstRepoFrame(
      stack.map((l) => (/^\s*at\s/.test(l) || l.trim() === "" ? l : `    at ${l.trim()}`)),
      context.cwd,
    );
    const location = /^'?(.+?):(\d+):(\d+)'?$/.exec(yaml.get("location") ?? "");
    const errorName = yaml.get("name");
    const { message, rest } = firstMessage(
      errorLines.map(unquoteYaml).map((l) => l.replace(/^#\s?/, "")),
      "test failed",
    );
    sink.add({
      source: "tap",
      kind: "test-failure",
      test: name,
      file:
        frame?.file ??
        (location ? normalizePath(location[1]!, context.cwd) : undefined) ??
        (where ? normalizePath(where[1] ?? where[3]!, context.cwd) : undefined),
      line:
        frame?.line ??
        (location ? Number(location[2]) : undefined) ??
        (where ? Number(where[2] ?? where[4]) : undefined),
      column: frame?.column ?? (location ? Number(location[3]) : undefined),
      message:
        errorName && !/^'?(?:AssertionError|Error)'?$/.test(errorName)
          ? `${unquoteYaml(errorName)}: ${message}`
          : message,
      excerpt: makeExcerpt(
        yaml.block("diff") ??
          yaml.block("details") ??
          (fileFailed && thrown >= 0 ? output.slice(0, thrown) : rest),
      ),
    });
  };

  const readPoint = (indent: string, verdict: string, rawText: string) => {
    flush();
    const depth = Math.floor(indent.length / 4);
    const { name: leaf, directive } = splitDirective(rawText);
    const output = fileOutput;
    fileOutput = [];
    const isParent = childSeen[depth + 1] === true;
    const failedBelow = childFailed[depth + 1] === true;
    childSeen[depth + 1] = false;
    childFailed[depth + 1] = false;
    childSeen[depth] = true;
    pointsAt[depth] = (pointsAt[depth] ?? 0) + 1;
    const path = names.slice(0, depth);
    names.length = depth;
    if (depth === 0 && group !== undefined && path.length === 0) path.push(group);
    const id = uniqueId([...path, leaf || `#${pointsAt[depth]}`].join(" > "));
    const failed = verdict.toLowerCase() === "not ok";
    if (isParent) {
      // A parent fails when a child did (already reported) or when its own hooks failed.
      if (failed && directive === undefined) {
        childFailed[depth] = true;
        if (!failedBelow) {
          pending = { name: id, indent: indent.length, block: new LineBlock() };
          pendingOutput = output;
        }
      }
      return;
    }
    if (directive === "skip") leaves.skip++;
    else if (failed && directive === "todo") leaves.failedTodo++;
    else if (failed) {
      leaves.fail++;
      childFailed[depth] = true;
      pending = { name: id, indent: indent.length, block: new LineBlock() };
      pendingOutput = output;
    } else if (directive !== "todo") {
      leaves.pass++;
      passing.add(id);
    }
  };

  /** Plain `prove` names files, not tests: `t/a.t .. ok`, then `Failed tests:  2-3` per file. */
  const readProveLine = (line: string): boolean => {
    const totals = proveTotals.exec(line);
    if (totals) {
      recognized = true;
      proveTests = Number(totals[2]);
      return true;
    }
    const file = proveFile.exec(line);
    if (file) {
      flush();
      group = file[1]!;
      if (file[2]) passing.add(file[1]!);
      return true;
    }
    const report = proveReport.exec(line);
    if (report) proveCurrent = report[1];
    const list = proveFailedList.exec(line);
    if (list && proveCurrent !== undefined && leaves.fail === 0) {
      for (const n of expandRanges(list[1]!))
        sink.add({
          source: "tap",
          kind: "test-failure",
          test: `${proveCurrent} > #${n}`,
          message: "test failed",
        });
      return true;
    }
    return report !== null;
  };

  return {
    push(line) {
      if (version.test(line)) {
        recognized = true;
        return;
      }
      const totals = tapTotals.exec(line);
      if (totals) {
        recognized = true;
        counts.set("tests", Number(totals[1]));
        for (const m of totals[2]!.matchAll(/(\w+): (\d+)/g)) counts.set(m[1]!, Number(m[2]));
        if (!counts.has("fail")) counts.set("fail", 0);
        return;
      }
      const c = counter.exec(line);
      if (c) {
        flush();
        counts.set(c[1]!, Number(c[2]));
        if (c[1] === "tests" || c[1] === "pass" || c[1] === "fail") recognized = true;
        return;
      }
      const b = bailOut.exec(line);
      if (b) {
        flush();
        recognized = true;
        bailed = b[1]!.trim() || "no reason given";
        sink.add({ source: "tap", kind: "runtime-error", message: `Bail out! ${bailed}` });
        return;
      }
      const s = subtest.exec(line);
      if (s) {
        flush();
        const depth = Math.floor(s[1]!.length / 4);
        names.length = depth;
        names[depth] = s[2]!.trim();
        if (depth === 0) group = undefined;
        return;
      }
      const pl = plan.exec(line);
      if (pl) {
        flush();
        if (pl[1]!.length === 0) recognized = true;
        plans.push({ depth: Math.floor(pl[1]!.length / 4), count: Number(pl[2]) });
        return;
      }
      const p = point.exec(line);
      if (p && (p[3] !== undefined || p[4]!.length > 0 || p[1]!.length > 0)) {
        readPoint(p[1]!, p[2]!, p[4]!);
        return;
      }
      if (readProveLine(line)) return;
      if (pending) {
        // Test::More and bats write a failure's diagnostics as `#   …` / `# (in test file …)`.
        if (isIndentedUnder(line, pending.indent) || /^#(?:\s{2,}|\s\()/.test(line)) {
          pending.block.push(line);
          return;
        }
        flush();
      }
      // tape: `# name` before a test's assertions (counters and Subtest lines are taken above).
      const comment = /^# (.+)$/.exec(line);
      if (comment && !/^# (ok|not ok|duration_ms|suites|time=)/.test(comment[1]!)) group = comment[1]!.trim();
      if (line.startsWith("#") && fileOutput.length < 200) fileOutput.push(line.replace(/^# ?/, ""));
    },
    finish() {
      flush();
      const ranPoints = leaves.pass + leaves.fail + leaves.skip;
      const topPlan = plans.find((p) => p.depth === 0);
      if (topPlan && !bailed && (pointsAt[0] ?? 0) < topPlan.count && topPlan.count > 0)
        sink.add({
          source: "tap",
          kind: "runtime-error",
          message: `planned ${topPlan.count} tests but only ${pointsAt[0] ?? 0} ran (the run stopped early)`,
        });
      // ava's footer counts a `not ok … # TODO` among its failures (`# fail 3` for 2 real
      // ones): a TODO is not a failure, whoever counts it.
      const footerFail = counts.get("fail");
      const todoInFooter =
        footerFail !== undefined && leaves.failedTodo > 0 && footerFail === leaves.fail + leaves.failedTodo;
      const failed =
        (todoInFooter ? leaves.fail : footerFail) ??
        (leaves.fail > 0 || proveTests === undefined
          ? leaves.fail
          : sink.count((f) => f.kind === "test-failure"));
      const passed =
        counts.get("pass") ??
        (ranPoints > 0 || proveTests === undefined ? leaves.pass : Math.max(0, proveTests - failed));
      const result = sink.result("tap", {
        recognized:
          recognized &&
          (ranPoints > 0 ||
            counts.size > 0 ||
            topPlan !== undefined ||
            proveTests !== undefined ||
            bailed !== undefined),
        failed,
        passed,
        errors: bailed ? 1 : 0,
      });
      return { ...result, passedTests: passing.names, skipped: counts.get("skip") ?? leaves.skip };
    },
  };
}

/** `2-4, 7` → 2, 3, 4, 7. */
function expandRanges(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const [from, to] = part.split("-").map(Number);
    for (let n = from!; n <= (to ?? from!) && out.length < 10_000; n++) out.push(n);
  }
  return out;
}
