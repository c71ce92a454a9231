// `closedloop apply <run-id>` end to end through the CLI entry, on real git repositories: a
// finished run's patch goes on the host only when its report.json says verified.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, test } from "node:test";

const cli = resolve(import.meta.dirname, "../../bin/closedloop.mjs");
const scratch = mkdtempSync(join(tmpdir(), "closedloop-apply-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const patch = [
  "diff --git a/calc.js b/calc.js",
  "--- a/calc.js",
  "+++ b/calc.js",
  "@@ -1 +1 @@",
  "-export const add = (a, b) => a - b;",
  "+export const add = (a, b) => a + b;",
  "",
].join("\n");

/** A git repo with a commit and an uncommitted change, plus a finished run recorded in its runs folder. */
function project(name: string, verdict: "verified" | "not verified") {
  const ws = join(scratch, name);
  mkdirSync(ws);
  const git = (...a: string[]) => execFileSync("git", a, { cwd: ws, encoding: "utf8" }).trim();
  git("init", "-q", "-b", "main");
  git("config", "user.name", "Ada Tester");
  git("config", "user.email", "ada@example.test");
  writeFileSync(join(ws, "calc.js"), "export const add = (a, b) => a - b;\n");
  writeFileSync(join(ws, "notes.md"), "v1\n");
  git("add", ".");
  git("commit", "-qm", "init");
  writeFileSync(join(ws, "notes.md"), "v2, not committed\n");
  const id = "20261201-120000-abcdef";
  const run = join(ws, ".closedloop", "runs", id);
  mkdirSync(run, { recursive: true });
  writeFileSync(join(run, "events.jsonl"), `${JSON.stringify({ type: "run.started", at: 1 })}\n`);
  writeFileSync(join(run, "patch.diff"), patch);
  const reason = verdict === "verified" ? "the verifier passed" : "2 tests still fail";
  writeFileSync(join(run, "report.json"), JSON.stringify({ runId: id, verdict, reason, task: "fix add" }));
  return { ws, git, id };
}

function apply(cwd: string, args: string[]) {
  const {
    NODE_TEST_CONTEXT: _,
    GIT_AUTHOR_NAME,
    GIT_AUTHOR_EMAIL,
    GIT_COMMITTER_NAME,
    GIT_COMMITTER_EMAIL,
    ...env
  } = process.env;
  return spawnSync(process.execPath, [cli, "apply", ...args], {
    cwd,
    encoding: "utf8",
    env,
    timeout: 60_000,
  });
}

const state = (ws: string, git: (...a: string[]) => string) => ({
  status: git("status", "--porcelain"),
  index: readFileSync(join(ws, ".git", "index")).toString("hex"),
  calc: readFileSync(join(ws, "calc.js"), "utf8"),
  notes: readFileSync(join(ws, "notes.md"), "utf8"),
  branches: git("branch", "--list"),
});

test("apply puts a verified run's patch on the working tree", () => {
  const { ws, id } = project("verified", "verified");
  const r = apply(ws, [id]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /applied run .* calc\.js/);
  assert.equal(readFileSync(join(ws, "calc.js"), "utf8"), "export const add = (a, b) => a + b;\n");
  assert.equal(readFileSync(join(ws, "notes.md"), "utf8"), "v2, not committed\n");
});

test("apply refuses an unverified run, says why, and touches nothing", () => {
  const { ws, git, id } = project("unverified", "not verified");
  const before = state(ws, git);
  for (const args of [[id], [id, "--branch", "fix"]]) {
    const r = apply(ws, args);
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /refusing to apply run .*: it was not verified \(2 tests still fail\)/);
    assert.deepEqual(state(ws, git), before);
  }
});

test("apply --branch commits working tree + patch as the user; --workspace and --runs-dir find it from elsewhere", () => {
  const { ws, git, id } = project("branch", "verified");
  const before = state(ws, git);
  const r = apply(scratch, [
    id,
    "--branch",
    "closedloop/fix-add",
    "--workspace",
    ws,
    "--runs-dir",
    join(ws, ".closedloop/runs"),
  ]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /committed your working tree \+ the patch on new branch closedloop\/fix-add .* as Ada Tester <ada@example\.test>/,
  );
  assert.deepEqual(
    { ...state(ws, git), branches: "" },
    { ...before, branches: "" },
    "index and tree untouched",
  );
  assert.equal(git("show", "closedloop/fix-add:calc.js"), "export const add = (a, b) => a + b;");
  assert.equal(git("show", "closedloop/fix-add:notes.md"), "v2, not committed");
  assert.equal(
    git("show", "-s", "--format=%an <%ae>|%s", "closedloop/fix-add"),
    "Ada Tester <ada@example.test>|closedloop: fix add",
  );
  assert.ok(!git("ls-tree", "-r", "--name-only", "closedloop/fix-add").includes(".closedloop"));
});

test("apply without a run, an unknown run or an unfinished run is a clear usage error", () => {
  const { ws, id } = project("errors", "verified");
  assert.match(apply(ws, []).stderr, /give exactly one run id/);
  const unknown = apply(ws, ["20990101-000000-000000"]);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /no run '20990101-000000-000000'/);
  rmSync(join(ws, ".closedloop", "runs", id, "report.json"));
  const unfinished = apply(ws, [id]);
  assert.equal(unfinished.status, 2);
  assert.match(unfinished.stderr, /has not finished/);
  const help = spawnSync(process.execPath, [cli, "--help"], { encoding: "utf8" });
  assert.match(help.stdout, /^ {2}apply +apply a verified run's patch/m);
});
