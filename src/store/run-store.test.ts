import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { RunNotFoundError, RunStore, readEventLog, writeFileAtomic } from "./index.ts";

const root = mkdtempSync(join(tmpdir(), "closedloop-store-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("events appended to a run come back in order, and a reopened log keeps appending", () => {
  const store = new RunStore(join(root, "runs-a"));
  const id = RunStore.createRunId();
  const log = store.create(id);
  log.append({ type: "one" });
  log.append({ type: "two" });
  log.sync();
  log.close();
  const again = store.reopen(id);
  again.append({ type: "three" });
  again.close();
  assert.deepEqual(
    store.readEvents(id).events.map((e) => e.type),
    ["one", "two", "three"],
  );
});

test("a last line torn by a crash is skipped and reported, not taken for an event", () => {
  const store = new RunStore(join(root, "runs-b"));
  const log = store.create("r1");
  log.append({ type: "whole" });
  log.close();
  appendFileSync(join(store.runDir("r1"), "events.jsonl"), '{"type":"cut sh');
  const { events, tornTail } = store.readEvents("r1");
  assert.deepEqual(events, [{ type: "whole" }]);
  assert.equal(tornTail, true);
});

test("a malformed line in the middle of a log is corruption and throws", () => {
  const path = join(root, "bad.jsonl");
  appendFileSync(path, '{"type":"a"}\nnot json\n{"type":"b"}\n');
  assert.throws(() => readEventLog(path), /line 2 is not valid JSON/);
});

test("result files are replaced atomically, leaving no temp files behind", () => {
  const store = new RunStore(join(root, "runs-c"));
  store.create("r2").close();
  store.writeResult("r2", "report.json", "first");
  store.writeResult("r2", "report.json", "second");
  assert.equal(store.readResult("r2", "report.json"), "second");
  assert.deepEqual(readdirSync(store.runDir("r2")).sort(), ["events.jsonl", "report.json"]);
  const file = join(root, "plain.txt");
  writeFileAtomic(file, "x");
  assert.equal(readFileSync(file, "utf8"), "x");
});

test("the run index lists runs newest first with their latest status", () => {
  const store = new RunStore(join(root, "runs-d"));
  store.create("20260101-000000-aaaaaa").close();
  store.create("20260102-000000-bbbbbb").close();
  store.index({ id: "20260101-000000-aaaaaa", at: 1, task: "old", status: "started" });
  store.index({ id: "20260101-000000-aaaaaa", at: 2, status: "finished", outcome: "verified" });
  const runs = store.list();
  assert.deepEqual(
    runs.map((r) => [r.id, r.status, r.outcome]),
    [
      ["20260102-000000-bbbbbb", "started", undefined],
      ["20260101-000000-aaaaaa", "finished", "verified"],
    ],
  );
  assert.equal(runs[1]!.task, "old");
});

test("an unknown run id or one that tries to leave the runs directory is refused", () => {
  const store = new RunStore(join(root, "runs-e"));
  assert.throws(() => store.readEvents("nope"), RunNotFoundError);
  assert.throws(() => store.runDir("../etc"), RunNotFoundError);
});

test("resume cuts a torn last line before appending, so the log stays one event per line", () => {
  const store = new RunStore(join(root, "runs-torn"));
  const log = store.create("r1");
  log.append({ type: "one" });
  log.close();
  const path = join(store.runDir("r1"), "events.jsonl");
  appendFileSync(path, '{"type":"tw');
  const again = store.reopen("r1");
  again.append({ type: "three" });
  again.close();
  assert.equal(readFileSync(path, "utf8"), '{"type":"one"}\n{"type":"three"}\n');
  const read = store.readEvents("r1");
  assert.deepEqual(
    read.events.map((e) => e.type),
    ["one", "three"],
  );
  assert.equal(read.tornTail, false);
});

test("a runs folder created inside a git repository is kept out of git status", () => {
  const repo = join(root, "repo");
  mkdirSync(join(repo, "pkg"), { recursive: true });
  execFileSync("git", ["init", "-q", repo]);
  writeFileSync(join(repo, "pkg", "a.txt"), "a\n");
  new RunStore(join(repo, "pkg", ".closedloop", "runs")).create("r1").close();
  new RunStore(join(repo, "pkg", ".closedloop", "runs")).create("r2").close();
  const exclude = readFileSync(join(repo, ".git", "info", "exclude"), "utf8");
  assert.equal(exclude.split("\n").filter((l) => l === "/pkg/.closedloop/").length, 1, exclude);
  const status = execFileSync("git", ["-C", repo, "status", "--porcelain", "--untracked-files=all"], {
    encoding: "utf8",
  });
  assert.equal(status.trim(), "?? pkg/a.txt");
});
