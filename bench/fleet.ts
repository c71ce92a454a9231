// `npm run bench -- fleet [--json] [--tasks N] [--fault-tasks N]`: many runs, measured as a user
// runs them — whole `closedloop batch` / `closedloop worker` processes, real local sandboxes,
// real `node --test`, the scripted model (a test double for the LLM, no network).
//
//  1. Throughput (tasks per minute) with 1, 2 and 4 workers: BullMQ on a real Redis with N
//     `closedloop worker` processes, against the in-process queue at --concurrency N, in the
//     same run, on the same tasks.
//  2. Fault run: 50 tasks on the Redis queue with 4 workers, a worker SIGKILLed three times
//     while it runs an attempt (a fresh one started each time); every result must be present
//     exactly once, and the killed attempts must have resumed from their trajectories.
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { startRedisServer } from "../src/fleet/testing/redis-server.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const cli = join(root, "bin/closedloop.mjs");
const lockArgs = ["--lock-duration", "5s", "--stalled-interval", "2s"];

type Child = { child: ChildProcess; output: () => string; exited: Promise<number | null> };

function start(args: string[]): Child {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout!.on("data", (d) => {
    text += d;
  });
  child.stderr!.on("data", (d) => {
    text += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => text, exited };
}

function jsonLines(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function writeTasks(dir: string, name: string, count: number, project: string, model: string): string {
  const file = join(dir, `${name}.jsonl`);
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      instance_id: `${name}-${i + 1}`,
      workspace: project,
      task: "Fix the cart so its tests pass.",
      verify: ["node --test test/"],
      protect: ["test/**"],
      model,
    }),
  );
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

function scriptFile(dir: string, name: string, turns: unknown[]): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ turns }));
  return `scripted:${file}`;
}

const edit = (oldText: string, newText: string) => ({
  toolCalls: [{ name: "edit_file", args: { path: "src/cart.js", oldText, newText } }],
});
const fixTotal = edit("total += item.price;", "total += item.price * item.quantity;");
const fixDiscount = edit("total * (percent / 100)", "total * (1 - percent / 100)");
const done = { toolCalls: [{ name: "done", args: { summary: "fixed" } }] };
const sleep = (s: number) => ({ toolCalls: [{ name: "shell", args: { command: `sleep ${s}` } }] });

async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  return true;
}

async function inProcess(dir: string, tasks: string, workers: number): Promise<number> {
  const out = mkdtempSync(join(dir, `inproc-${workers}-`));
  const t = performance.now();
  const batch = start(["batch", tasks, "--out", out, "--concurrency", String(workers), "--plain"]);
  const code = await batch.exited;
  const ms = performance.now() - t;
  if (code !== 0) throw new Error(`in-process batch failed:\n${batch.output()}`);
  return ms;
}

async function onRedis(dir: string, tasks: string, workers: number, url: string): Promise<number> {
  const out = mkdtempSync(join(dir, `redis-${workers}-`));
  const t = performance.now();
  const batch = start(["batch", tasks, "--out", out, "--queue", url, "--plain"]);
  const pool = Array.from({ length: workers }, () =>
    start(["worker", "--queue", url, "--quiet", ...lockArgs]),
  );
  const code = await batch.exited;
  const ms = performance.now() - t;
  for (const w of pool) w.child.kill("SIGTERM");
  await Promise.all(pool.map((w) => w.exited));
  if (code !== 0) throw new Error(`redis batch failed:\n${batch.output()}`);
  return ms;
}

async function faultRun(dir: string, project: string, url: string, count: number) {
  const model = scriptFile(dir, "fault", [fixTotal, sleep(1), sleep(1), fixDiscount, done]);
  const tasks = writeTasks(dir, "fault", count, project, model);
  const out = join(dir, "fault-out");
  const runs = join(out, "runs");
  const t = performance.now();
  const batch = start(["batch", tasks, "--out", out, "--queue", url, "--plain"]);
  const pool = Array.from({ length: 4 }, () => start(["worker", "--queue", url, ...lockArgs]));
  const killed: string[] = [];
  for (let k = 0; k < 3; k++) {
    // Kill a worker that is in the middle of an attempt: one step done, the run not finished.
    let victim: Child | undefined;
    let runId = "";
    await waitUntil(() => {
      for (const w of pool) {
        const started = [...w.output().matchAll(/started (\S+)/g)].map((m) => m[1]!);
        const finished = new Set([...w.output().matchAll(/finished (\S+):/g)].map((m) => m[1]!));
        const current = started.filter((id) => !finished.has(id) && !killed.includes(id));
        for (const id of current) {
          const events = jsonLines(join(runs, id, "events.jsonl"));
          if (
            events.some((e) => e.type === "step.finished") &&
            !events.some((e) => e.type === "run.finished")
          ) {
            victim = w;
            runId = id;
            return true;
          }
        }
      }
      return false;
    }, 600_000);
    if (!victim) throw new Error("no worker was mid-run to kill");
    victim.child.kill("SIGKILL");
    await victim.exited;
    killed.push(runId);
    pool.splice(pool.indexOf(victim), 1, start(["worker", "--queue", url, ...lockArgs]));
  }
  const code = await batch.exited;
  const ms = performance.now() - t;
  for (const w of pool) w.child.kill("SIGTERM");
  await Promise.all(pool.map((w) => w.exited));
  const lines = jsonLines(join(out, "results.jsonl"));
  const ids = lines.map((l) => l.instance_id as string);
  const unique = new Set(ids);
  const recorded = readdirSync(join(out, "attempts")).filter((n) => n.endsWith(".json")).length;
  const resumed = killed.filter((id) =>
    jsonLines(join(runs, id, "events.jsonl")).some((e) => e.type === "run.resumed"),
  ).length;
  const startedTwice = readdirSync(runs)
    .filter((id) => existsSync(join(runs, id, "events.jsonl")))
    .filter(
      (id) => jsonLines(join(runs, id, "events.jsonl")).filter((e) => e.type === "run.started").length > 1,
    ).length;
  return {
    tasks: count,
    exitCode: code,
    minutes: ms / 60_000,
    results: lines.length,
    distinct: unique.size,
    recordedAttempts: recorded,
    killed: killed.length,
    killedRunsResumed: resumed,
    runsStartedTwice: startedTwice,
    resolved: lines.filter((l) => l.resolved).length,
    exactlyOnce: lines.length === count && unique.size === count && recorded === count,
  };
}

export async function main(args: string[]): Promise<void> {
  const number = (flag: string, fallback: number) => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const taskCount = number("--tasks", 8);
  const faultCount = number("--fault-tasks", 50);
  const dir = mkdtempSync(join(tmpdir(), "closedloop-bench-fleet-"));
  const redis = await startRedisServer();
  try {
    const project = join(dir, "project");
    cpSync(join(root, "examples/demo/project"), project, { recursive: true });
    const model = scriptFile(dir, "good", [fixTotal, fixDiscount, done]);
    const rows: { workers: number; inProcess: number; redis: number }[] = [];
    for (const workers of [1, 2, 4]) {
      const tasks = writeTasks(dir, `w${workers}`, taskCount, project, model);
      const a = await inProcess(dir, tasks, workers);
      const b = await onRedis(dir, tasks, workers, redis.url);
      rows.push({ workers, inProcess: taskCount / (a / 60_000), redis: taskCount / (b / 60_000) });
    }
    const fault = await faultRun(dir, project, redis.url, faultCount);
    if (args.includes("--json")) {
      console.log(JSON.stringify({ taskCount, throughput: rows, fault }));
      return;
    }
    console.log(
      `fleet bench: ${taskCount} scripted tasks (scripted model, no LLM) per row, local sandboxes, whole CLI processes`,
    );
    console.log("throughput in tasks per minute (higher is better); baseline: in-process queue, same run\n");
    console.log(
      `${"workers".padEnd(10)}${"in-process".padStart(14)}${"BullMQ+Redis".padStart(16)}${"ratio".padStart(10)}`,
    );
    for (const r of rows)
      console.log(
        `${String(r.workers).padEnd(10)}${r.inProcess.toFixed(1).padStart(14)}${r.redis.toFixed(1).padStart(16)}${(r.redis / r.inProcess).toFixed(2).padStart(10)}`,
      );
    console.log(
      `\nfault run: ${fault.tasks} tasks on Redis, 4 workers, a worker SIGKILLed mid-attempt ${fault.killed} times`,
    );
    const row = (name: string, value: string | number) =>
      console.log(`  ${name.padEnd(40)}${String(value).padStart(10)}`);
    row("batch exit code", String(fault.exitCode));
    row("results.jsonl lines", fault.results);
    row("distinct instance ids", fault.distinct);
    row("recorded attempt results", fault.recordedAttempts);
    row("killed attempts resumed from trajectory", `${fault.killedRunsResumed}/${fault.killed}`);
    row("runs started more than once", fault.runsStartedTwice);
    row("resolved", `${fault.resolved}/${fault.tasks}`);
    row("wall time", `${fault.minutes.toFixed(1)} min`);
    row("every result exactly once", fault.exactlyOnce ? "yes" : "NO");
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
