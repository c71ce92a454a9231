// End to end through the CLI: the scripted model, a real sandbox (local when it runs here,
// otherwise process), the bundled buggy project, real `node --test` as the verifier.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type LoopEvent, readTrajectory } from "../../src/loop/index.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));
const cli = join(root, "bin/closedloop.mjs");
const demoProject = join(root, "examples/demo/project");
const scratch = mkdtempSync(join(tmpdir(), "closedloop-loop-e2e-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

// Always the isolating backend: where it cannot start, these tests fail with its message.
const backend = "local";

let counter = 0;
function copyProject(): string {
  const dir = join(scratch, `project-${++counter}`);
  cpSync(demoProject, dir, { recursive: true });
  return dir;
}

function treeHash(dir: string): string {
  const hash = createHash("sha256");
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (name === ".git") continue;
      const path = join(d, name);
      hash.update(relative(dir, path));
      if (statSync(path).isDirectory()) walk(path);
      else hash.update(readFileSync(path));
    }
  };
  walk(dir);
  return hash.digest("hex");
}

type Turn = { text?: string; toolCalls?: { name: string; args: unknown }[] };
const edit = (oldText: string, newText: string): Turn => ({
  toolCalls: [{ name: "edit_file", args: { path: "src/cart.js", oldText, newText } }],
});
const fixTotal = edit("total += item.price;", "total += item.price * item.quantity;");
const fixDiscount = edit("total * (percent / 100)", "total * (1 - percent / 100)");
const done: Turn = { toolCalls: [{ name: "done", args: { summary: "fixed" } }] };

function script(turns: Turn[], extra: Record<string, unknown> = {}): string {
  const file = join(scratch, `turns-${++counter}.json`);
  writeFileSync(file, JSON.stringify({ turns, ...extra }));
  return file;
}

function runArgs(project: string, turnsFile: string, extra: string[] = []): string[] {
  return [
    cli,
    "run",
    "Fix the cart so its tests pass.",
    "--verify",
    "node --test test/",
    "--protect",
    "test/**",
    "--model",
    `scripted:${turnsFile}`,
    "--sandbox",
    backend,
    "--workspace",
    project,
    "--runs-dir",
    join(project, "..", `runs-${counter}`),
    "--plain",
    ...extra,
  ];
}

function runCli(args: string[]) {
  const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function readEvents(runsDir: string): LoopEvent[] {
  const [id] = readdirSync(runsDir).filter((n) => n !== "index.jsonl");
  return readFileSync(join(runsDir, id!, "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as LoopEvent);
}

test(`a buggy project goes red → edits → green, and the patch makes a pristine copy pass (${backend} sandbox)`, async () => {
  const project = copyProject();
  const before = treeHash(project);
  const args = runArgs(project, script([fixTotal, fixDiscount, done]));
  const runsDir = args[args.indexOf("--runs-dir") + 1]!;
  const r = runCli(args);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /verified/);
  assert.equal(treeHash(project), before, "the host tree is unchanged");

  const [id] = readdirSync(runsDir).filter((n) => n !== "index.jsonl");
  const patch = readFileSync(join(runsDir, id!, "patch.diff"), "utf8");
  const report = JSON.parse(readFileSync(join(runsDir, id!, "report.json"), "utf8"));
  assert.equal(report.verdict, "verified");
  assert.deepEqual(report.failures, { before: 2, after: 0 });

  const pristine = copyProject();
  execFileSync("git", ["apply", "-"], { cwd: pristine, input: patch });
  const tests = spawnSync(process.execPath, ["--test", "test/"], { cwd: pristine, encoding: "utf8" });
  assert.equal(tests.status, 0, tests.stdout);
});

test("a done claim while the tests fail is refused with the failures and the loop goes on", async () => {
  const project = copyProject();
  const args = runArgs(project, script([fixTotal, done, fixDiscount, done]));
  const r = runCli(args);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /done claim REFUSED/);
  const events = readEvents(args[args.indexOf("--runs-dir") + 1]!);
  const refusal = events.find((e) => e.type === "tool.result" && e.name === "done" && e.isError);
  assert.ok(refusal && refusal.type === "tool.result");
  assert.match(refusal.content, /discount/, "the refusal names the failing test");
  assert.ok(
    events.some((e) => e.type === "step.started" && e.step === 3),
    "the loop went on",
  );
});

test("repeating the same failing edit is detected as a stall, rolled back, and stopped with exit 1", async () => {
  const project = copyProject();
  const wrong: Turn = {
    toolCalls: [
      {
        name: "edit_file",
        args: { path: "src/cart.js", oldText: "percent / 100)", newText: "percent / 100.0)" },
      },
      { name: "verify", args: {} },
    ],
  };
  const args = runArgs(
    project,
    script([fixTotal, { toolCalls: [{ name: "verify", args: {} }] }, ...Array(12).fill(wrong)]),
  );
  const r = runCli(args);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /stall/);
  const events = readEvents(args[args.indexOf("--runs-dir") + 1]!);
  assert.deepEqual(
    events.filter((e) => e.type === "stall.detected").map((e) => e.type === "stall.detected" && e.action),
    ["nudge", "rollback", "stop"],
  );
  assert.ok(events.some((e) => e.type === "checkpoint.restored" && e.failingCount === 1));
});

test("max-steps and max-cost stop a run with exit 1 and say which budget", async () => {
  const verify: Turn = { toolCalls: [{ name: "verify", args: {} }] };
  const steps = runCli(
    runArgs(copyProject(), script(Array(5).fill({ toolCalls: [{ name: "list", args: {} }] })), [
      "--max-steps",
      "2",
    ]),
  );
  assert.equal(steps.code, 1, steps.out + steps.err);
  assert.match(steps.out, /max-steps 2/);
  const costArgs = runArgs(copyProject(), script([verify], { prices: { input: 3, output: 15 } }), [
    "--max-cost",
    "0.01",
  ]);
  const cost = runCli(costArgs);
  assert.equal(cost.code, 1, cost.out + cost.err);
  assert.match(cost.out, /max-cost 0.01/);
  const events = readEvents(costArgs[costArgs.indexOf("--runs-dir") + 1]!);
  assert.equal(
    events.filter((e) => e.type === "model.response").length,
    0,
    "the refused call was never made",
  );
});

function waitForEvent(file: string, match: (e: LoopEvent) => boolean, child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (existsSync(file)) {
        const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
        if (lines.some((l) => match(JSON.parse(l) as LoopEvent))) {
          clearInterval(timer);
          resolve();
        }
      }
      if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`the run exited (${child.exitCode}) before the event appeared`));
      }
    }, 20);
  });
}

test("SIGKILL mid-run, then resume: it finishes and the trajectory has every step exactly once", async () => {
  const project = copyProject();
  const slow: Turn = { toolCalls: [{ name: "shell", args: { command: "sleep 2 && echo slept" } }] };
  const args = runArgs(project, script([fixTotal, slow, fixDiscount, done]));
  const runsDir = args[args.indexOf("--runs-dir") + 1]!;
  const child = spawn(process.execPath, args, { stdio: "ignore" });
  const logFile = () => {
    const id = existsSync(runsDir) ? readdirSync(runsDir).find((n) => n !== "index.jsonl") : undefined;
    return id ? join(runsDir, id, "events.jsonl") : join(runsDir, "none");
  };
  await new Promise((r) => setTimeout(r, 200));
  while (!existsSync(logFile())) await new Promise((r) => setTimeout(r, 20));
  await waitForEvent(logFile(), (e) => e.type === "tool.call" && e.step === 2, child);
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  const id = readdirSync(runsDir).find((n) => n !== "index.jsonl")!;

  const resumed = runCli([cli, "resume", id, "--runs-dir", runsDir, "--plain"]);
  assert.equal(resumed.code, 0, resumed.out + resumed.err);
  const events = readEvents(runsDir);
  const finishedRaw = events
    .filter((e) => e.type === "step.finished")
    .map((e) => e.type === "step.finished" && e.step);
  assert.deepEqual(finishedRaw, [1, 2, 3, 4], "each step committed exactly once, no gap");
  const trajectory = readTrajectory(events).events;
  assert.deepEqual(
    trajectory.filter((e) => e.type === "step.started").map((e) => e.type === "step.started" && e.step),
    [1, 2, 3, 4],
  );
  assert.equal(trajectory.filter((e) => e.type === "run.resumed").length, 1);
  assert.equal(trajectory.at(-1)?.type, "run.finished");
  const show = runCli([cli, "show", id, "--runs-dir", runsDir]);
  assert.equal(show.code, 0);
  assert.match(show.out, /\[set aside\]/);
  assert.match(show.out, /VERIFIED/);
});

test("--apply puts the verified patch on the host; --branch commits it without touching the tree", async () => {
  const applied = copyProject();
  const r = runCli(runArgs(applied, script([fixTotal, fixDiscount, done]), ["--apply"]));
  assert.equal(r.code, 0, r.out + r.err);
  assert.equal(spawnSync(process.execPath, ["--test", "test/"], { cwd: applied }).status, 0);

  const repo = copyProject();
  const git = (...a: string[]) => execFileSync("git", a, { cwd: repo, encoding: "utf8" }).trim();
  git("init", "-q", "-b", "main");
  git("-c", "user.email=t@t", "-c", "user.name=t", "add", ".");
  git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "init");
  const before = treeHash(repo);
  const b = runCli(runArgs(repo, script([fixTotal, fixDiscount, done]), ["--branch", "fix-cart"]));
  assert.equal(b.code, 0, b.out + b.err);
  assert.equal(treeHash(repo), before, "working tree untouched");
  assert.equal(git("status", "--porcelain"), "");
  assert.match(git("show", "fix-cart:src/cart.js"), /item\.price \* item\.quantity/);
});

test("closedloop demo runs the whole loop with the scripted model and says it is not an LLM", async () => {
  const cwd = mkdtempSync(join(scratch, "demo-"));
  const state = mkdtempSync(join(scratch, "state-"));
  const env = { ...process.env, XDG_STATE_HOME: state };
  const plain = spawnSync(process.execPath, [cli, "demo", "--plain", "--sandbox", backend], {
    cwd,
    encoding: "utf8",
    timeout: 300_000,
    env,
  });
  assert.equal(plain.status, 0, plain.stdout + plain.stderr);
  assert.match(plain.stdout, /scripted \(no LLM\)/);
  assert.match(plain.stdout, /done claim REFUSED/);
  assert.match(plain.stdout, /✓ verified/);
  // Nothing lands in the current directory; the temp copy is gone; the record is findable.
  assert.deepEqual(readdirSync(cwd), []);
  const copy = /a copy of examples\/demo\/project in (\S+)/.exec(plain.stdout)?.[1];
  assert.ok(copy && !existsSync(copy), `the demo's temp copy ${copy} is removed`);
  const runsDir = join(state, "closedloop", "demo-runs");
  const id = /closedloop show --runs-dir \S+ (\S+)/.exec(plain.stdout)?.[1];
  assert.ok(id && existsSync(join(runsDir, id, "events.jsonl")), plain.stdout);

  const json = spawnSync(process.execPath, [cli, "demo", "--json", "--sandbox", backend], {
    cwd,
    encoding: "utf8",
    timeout: 300_000,
    env,
  });
  assert.equal(json.status, 0, json.stderr);
  const events = json.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as LoopEvent);
  assert.equal(events[0]?.type, "run.started");
  assert.ok(events.every((e) => typeof e.runId === "string" && typeof e.at === "number"));
  const last = events.at(-1);
  assert.ok(last?.type === "run.finished" && last.verified);
});

test("hidden checks decide the verdict but never appear in the event log the model could read", async () => {
  const project = copyProject();
  const runsDir = join(project, ".closedloop", "runs");
  const args = runArgs(project, script([fixTotal, fixDiscount, done]));
  args[args.indexOf("--runs-dir") + 1] = runsDir;
  args.push("--hidden", "node -e 'process.exit(1)' # HIDDEN-MARKER-7");
  const r = spawnSync(process.execPath, args, {
    encoding: "utf8",
    timeout: 300_000,
    env: { ...process.env, XDG_STATE_HOME: join(scratch, "state") },
  });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const log = readFileSync(
    join(runsDir, readdirSync(runsDir).find((n) => n !== "index.jsonl")!, "events.jsonl"),
    "utf8",
  );
  assert.doesNotMatch(log, /HIDDEN-MARKER-7/);
  const events = log
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as LoopEvent);
  const claims = events.filter((e) => e.type === "done.claimed");
  assert.ok(
    claims.length > 0 && claims.every((e) => e.type === "done.claimed" && !e.accepted),
    "the failing hidden check kept it red",
  );
});
