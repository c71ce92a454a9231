// `go test` (plain and -v) compared with `go test -json` on the same module. A module with no
// dependencies, and a private GOPATH/GOCACHE so nothing reaches the network or the host's cache.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  byTest,
  compactRun,
  type ExpectedFailure,
  failuresOf,
  runTool,
  useTempProject,
} from "./tool-run.test-support.ts";

let goHome: string;
let env: Record<string, string>;

const project = useTempProject("go", {
  "go.mod": "module example.com/calc\n\ngo 1.19\n",
  "calc.go":
    'package calc\n\nfunc Add(a, b int) int { return a + b }\n\nfunc Lookup(m map[string]int) { m["x"] = 1 }\n',
  "calc_test.go": [
    "package calc",
    "",
    'import "testing"',
    "",
    "func TestAdd(t *testing.T) {",
    "\tif got := Add(1, 2); got != 4 {",
    '\t\tt.Errorf("Add(1, 2) = %d, want 4", got)',
    "\t}",
    "}",
    "",
    "func TestOK(t *testing.T) {}",
    "",
    "func TestTable(t *testing.T) {",
    '\tt.Run("neg", func(t *testing.T) { t.Fatalf("negative broke") })',
    '\tt.Run("pos", func(t *testing.T) {})',
    "}",
    "",
    "func TestPanic(t *testing.T) { Lookup(nil) }",
    "",
  ].join("\n"),
});

before(() => {
  goHome = mkdtempSync(join(tmpdir(), "closedloop-signals-gohome-"));
  env = {
    GOFLAGS: "-mod=mod",
    GOPATH: join(goHome, "path"),
    GOCACHE: join(goHome, "cache"),
    GOPROXY: "off",
    GOTOOLCHAIN: "local",
  };
});

after(() => {
  rmSync(goHome, { recursive: true, force: true });
});

interface GoEvent {
  Action: string;
  Test?: string;
  Output?: string;
}

/** Leaf failures from the -json stream, located by the first `file.go:N:` log line or user panic frame. */
function expectedFrom(json: string): ExpectedFailure[] {
  const events = json
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as GoEvent);
  const failed = events.filter((e) => e.Action === "fail" && e.Test).map((e) => e.Test!);
  const leaves = failed.filter((name) => !failed.some((other) => other.startsWith(`${name}/`)));
  return leaves
    .map((name) => {
      const output = events
        .filter((e) => e.Test === name && e.Action === "output")
        .map((e) => e.Output ?? "")
        .join("");
      const log = /^\s+(\w+\.go):(\d+): /m.exec(output);
      const frame = /^\t\S*\/(\w+\.go):(\d+)(?: \+0x|$)/m.exec(
        output.replace(/^\t\/usr\/(?:local\/)?(?:lib\/)?go.*\n/gm, ""),
      );
      const loc = log ?? frame;
      return { test: name, file: loc?.[1], line: loc ? Number(loc[2]) : undefined };
    })
    .sort(byTest);
}

test("go test's failures (plain and -v) match its -json report, leaves only", async () => {
  const json = await runTool("go", ["test", "-json", "./..."], { cwd: project.dir, env });
  const expected = expectedFrom(json.stdout);
  assert.equal(expected.length, 3);
  for (const args of [
    ["test", "./..."],
    ["test", "-v", "./..."],
    ["test", "-json", "./..."],
  ]) {
    const run = await runTool("go", args, { cwd: project.dir, env });
    assert.equal(run.exitCode, 1);
    const feedback = compactRun(run, `go ${args.join(" ")}`, project.dir);
    assert.deepEqual(feedback.summary.parsers, ["go"]);
    assert.deepEqual(failuresOf(feedback.findings), expected, `go ${args.join(" ")}`);
  }
});

test("a package that does not compile gives compile errors with their positions", async () => {
  const { writeFileSync } = await import("node:fs");
  writeFileSync(
    project.path("broken_test.go"),
    'package calc\n\nfunc helper() int { return Missing() + "s" }\n',
  );
  try {
    const run = await runTool("go", ["test", "./..."], { cwd: project.dir, env });
    assert.notEqual(run.exitCode, 0);
    const feedback = compactRun(run, "go test ./...", project.dir);
    const errors = feedback.findings.filter((f) => f.kind === "compile-error");
    assert.ok(errors.length >= 1);
    assert.equal(errors[0]!.file, "broken_test.go");
    assert.equal(errors[0]!.line, 3);
    assert.match(errors[0]!.message, /undefined: Missing/);
  } finally {
    rmSync(project.path("broken_test.go"));
  }
});
