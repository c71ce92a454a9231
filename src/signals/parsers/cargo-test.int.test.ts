// `cargo test` (libtest's human output) compared with libtest's JSON events from the same
// build. JSON output is unstable in libtest, so RUSTC_BOOTSTRAP=1 unlocks it on stable.
// One crate, one target dir, built once; both runs reuse it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { byTest, compactRun, failuresOf, runTool, useTempProject } from "./tool-run.test-support.ts";

let target: string;
let env: Record<string, string>;

const project = useTempProject("cargo", {
  "Cargo.toml": '[package]\nname = "calc"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n',
  "src/lib.rs": [
    "pub fn add(a: i32, b: i32) -> i32 { a + b }",
    "",
    "#[cfg(test)]",
    "mod tests {",
    "    use super::*;",
    "    #[test]",
    "    fn adds() { assert_eq!(add(1, 2), 4); }",
    "    #[test]",
    "    fn passes() { assert_eq!(add(1, 1), 2); }",
    "    #[test]",
    '    fn panics() { panic!("boom at {}", 3); }',
    "    #[test]",
    '    fn asserts() { assert!(add(1, 1) == 3, "sum was wrong"); }',
    "}",
    "",
  ].join("\n"),
});

before(() => {
  target = mkdtempSync(join(tmpdir(), "closedloop-signals-cargo-target-"));
  env = { CARGO_TARGET_DIR: target, CARGO_NET_OFFLINE: "true", RUST_BACKTRACE: "0" };
});

after(() => {
  rmSync(target, { recursive: true, force: true });
});

test("cargo test's failures match libtest's JSON events for the same build", async () => {
  const run = await runTool("cargo", ["test", "--offline"], { cwd: project.dir, env });
  assert.equal(run.exitCode, 101);
  const json = await runTool(
    "cargo",
    ["test", "--offline", "-q", "--", "-Z", "unstable-options", "--format", "json"],
    {
      cwd: project.dir,
      env: { ...env, RUSTC_BOOTSTRAP: "1" },
    },
  );
  const expected = json.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { type: string; event: string; name?: string; stdout?: string })
    .filter((e) => e.type === "test" && e.event === "failed")
    .map((e) => {
      const at = /panicked at ([^:\s]+):(\d+):\d+/.exec(e.stdout ?? "");
      return { test: e.name!, file: at?.[1], line: at ? Number(at[2]) : undefined };
    })
    .sort(byTest);
  assert.equal(expected.length, 3);
  for (const output of [run, json]) {
    const feedback = compactRun(output, "cargo test", project.dir);
    assert.deepEqual(feedback.summary.parsers, ["cargo"]);
    assert.deepEqual(failuresOf(feedback.findings), expected);
  }
  const feedback = compactRun(run, "cargo test", project.dir);
  assert.equal(feedback.summary.failed, 3);
  assert.equal(feedback.summary.passed, 1);
  assert.equal(feedback.findings.find((f) => f.test === "tests::panics")?.message, "boom at 3");
});

test("a crate that does not compile gives rustc's errors with their positions", async () => {
  const { readFileSync, writeFileSync } = await import("node:fs");
  const lib = project.path("src/lib.rs");
  const original = readFileSync(lib, "utf8");
  writeFileSync(lib, `${original}\npub fn broken() -> i32 { "s" }\n`);
  try {
    const run = await runTool("cargo", ["test", "--offline"], { cwd: project.dir, env });
    assert.equal(run.exitCode, 101);
    const feedback = compactRun(run, "cargo test", project.dir);
    const error = feedback.findings.find((f) => f.kind === "compile-error");
    assert.equal(error?.file, "src/lib.rs");
    assert.equal(error?.line, original.split("\n").length + 1);
    assert.match(error?.message ?? "", /^E0308: mismatched types/);
  } finally {
    writeFileSync(lib, original);
  }
});
