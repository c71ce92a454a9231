// `npm run bench -- sandbox [--json] [--backend local|process|both] [--concurrency N] [--large N]`
// Measures, in one run, what the targets are about: start-up against a bare spawn and
// a raw bwrap, a command in a live sandbox, reset on a small and a large workspace, how many
// sandboxes can sit side by side each holding a live process, and what each costs the host.
// Timings are noisy on a 2-core machine: iteration counts are modest, medians are reported.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { freemem, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { type BackendName, createSandbox, type Sandbox } from "../src/sandbox/index.ts";

interface BackendResult {
  createP50Ms: number;
  createP99Ms: number;
  /** Create → first command with no warm spare (local backend), i.e. a full cold start. */
  createColdP50Ms: number;
  execP50Ms: number;
  resetSmallMs: number;
  resetLargeMs: number;
  largeFiles: number;
  concurrent: number;
  concurrentTarget: number;
  hostMiBPerSandbox: number;
}

const quantile = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
const round = (x: number) => Math.round(x * 100) / 100;

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function spawnAndWait(file: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: "ignore" });
    child.once("error", reject);
    child.once("exit", (code) => resolve(code ?? -1));
  });
}

async function spawnP50(file: string, args: string[], n: number): Promise<number | null> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const code = await spawnAndWait(file, args).catch(() => -1);
    if (code !== 0) return null;
    times.push(performance.now() - t);
  }
  return quantile(times, 0.5);
}

function makeWorkspace(files: number): string {
  const dir = mkdtempSync(join(tmpdir(), `closedloop-bench-${files}-`));
  const perDir = 100;
  for (let i = 0; i < files; i++) {
    const sub = join(dir, `d${Math.floor(i / perDir)}`);
    if (i % perDir === 0) mkdirSync(sub);
    writeFileSync(join(sub, `f${i}.txt`), `file ${i}\n`);
  }
  return dir;
}

/** pid → children, from one pass over /proc. */
function childrenMap(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      map.set(ppid, [...(map.get(ppid) ?? []), Number(name)]);
    } catch {
      // Gone while we looked.
    }
  }
  return map;
}

function descendants(pid: number, children: Map<number, number[]>): number[] {
  const out: number[] = [];
  const stack = [...(children.get(pid) ?? [])];
  while (stack.length > 0) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

function pssKiB(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * PSS of the host processes belonging to the sandboxes: the sandbox's outermost process and
 * its descendants when the backend names one, else every descendant of this process (the
 * process backend's commands are our direct children), divided by the number of sandboxes.
 */
function hostMiBPerSandbox(sandboxes: Sandbox[]): number {
  const children = childrenMap();
  let kib = 0;
  if (sandboxes.every((s) => s.info.hostPid !== undefined)) {
    for (const s of sandboxes) {
      for (const pid of [s.info.hostPid!, ...descendants(s.info.hostPid!, children)]) kib += pssKiB(pid);
    }
  } else {
    for (const pid of descendants(process.pid, children)) kib += pssKiB(pid);
  }
  return kib / 1024 / Math.max(1, sandboxes.length);
}

async function benchBackend(
  backend: BackendName,
  opts: { iterations: number; concurrency: number; large: number },
  log: (line: string) => void,
): Promise<BackendResult> {
  const small = makeWorkspace(10);
  const policy = { workspace: small, backend, quiet: true };
  try {
    log(`${backend}: create → first command (${opts.iterations}×)`);
    const creates: number[] = [];
    for (let i = 0; i < opts.iterations; i++) {
      let sb: Sandbox | undefined;
      creates.push(
        await timeIt(async () => {
          sb = await createSandbox(policy);
          await sb.exec("true");
        }),
      );
      await sb?.dispose();
    }

    // The same without the warm spare: every create pays for a full cold start.
    const colds: number[] = [];
    for (let i = 0; i < opts.iterations; i++) {
      let sb: Sandbox | undefined;
      colds.push(
        await timeIt(async () => {
          sb = await createSandbox({ ...policy, warmPool: false });
          await sb.exec("true");
        }),
      );
      await sb?.dispose();
    }

    const live = await createSandbox(policy);
    log(`${backend}: exec in a live sandbox`);
    const execs: number[] = [];
    for (let i = 0; i < opts.iterations * 2; i++) execs.push(await timeIt(() => live.exec("true")));
    // In the loop a reset (a rollback) comes between model calls, never back to back; the
    // benchmark leaves 100 ms between resets to match, which also lets a warm spare boot.
    const pause = () => new Promise((r) => setTimeout(r, 100));
    const resetsSmall: number[] = [];
    for (let i = 0; i < 5; i++) {
      await live.writeFile(`changed-${i}.txt`, "x");
      await pause();
      resetsSmall.push(await timeIt(() => live.reset()));
    }
    await live.dispose();

    log(`${backend}: reset on a ${opts.large}-file workspace`);
    const largeDir = makeWorkspace(opts.large);
    const resetsLarge: number[] = [];
    try {
      const big = await createSandbox({ ...policy, workspace: largeDir });
      for (let i = 0; i < 5; i++) {
        await big.exec(`echo x > d0/f0.txt && rm -f d1/f100.txt`);
        await pause();
        resetsLarge.push(await timeIt(() => big.reset()));
      }
      await big.dispose();
    } finally {
      rmSync(largeDir, { recursive: true, force: true });
    }

    log(`${backend}: up to ${opts.concurrency} sandboxes side by side, each with a live process`);
    const crowd: Sandbox[] = [];
    try {
      for (let i = 0; i < opts.concurrency; i++) {
        // Leave the machine room to breathe: stop early rather than push it into OOM.
        if (freemem() < 2 * 1024 ** 3) break;
        try {
          const sb = await createSandbox(policy);
          crowd.push(sb);
          const proc = await sb.start("sleep 600");
          if (!proc.isRunning()) break;
        } catch {
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 300));
      const perSandbox = hostMiBPerSandbox(crowd);
      return {
        createP50Ms: quantile(creates, 0.5),
        createP99Ms: quantile(creates, 0.99),
        createColdP50Ms: quantile(colds, 0.5),
        execP50Ms: quantile(execs, 0.5),
        resetSmallMs: quantile(resetsSmall, 0.5),
        resetLargeMs: quantile(resetsLarge, 0.5),
        largeFiles: opts.large,
        concurrent: crowd.length,
        concurrentTarget: opts.concurrency,
        hostMiBPerSandbox: perSandbox,
      };
    } finally {
      log(`${backend}: disposing ${crowd.length} sandboxes`);
      await Promise.all(crowd.map((s) => s.dispose()));
    }
  } finally {
    rmSync(small, { recursive: true, force: true });
  }
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      json: { type: "boolean" },
      backend: { type: "string" },
      concurrency: { type: "string" },
      large: { type: "string" },
      iterations: { type: "string" },
    },
  });
  const json = values.json ?? false;
  const log = (line: string) => {
    if (!json) process.stderr.write(`… ${line}\n`);
  };
  const which = values.backend ?? "both";
  const backends: BackendName[] = which === "both" ? ["local", "process"] : [which as BackendName];
  // The process backend copies the workspace (O(bytes) per create), so its column uses a
  // smaller crowd and "large" tree by default to keep the whole run near two minutes.
  const optsFor = (backend: BackendName) => ({
    iterations: Number(values.iterations ?? 30),
    concurrency: Number(values.concurrency ?? (backend === "local" ? 500 : 100)),
    large: Number(values.large ?? (backend === "local" ? 50_000 : 10_000)),
  });

  log("baselines: bare spawn of /bin/true and raw bwrap");
  const spawnP50Ms = await spawnP50("/bin/true", [], 50);
  const bwrapP50Ms = await spawnP50("bwrap", ["--unshare-all", "--ro-bind", "/", "/", "true"], 30);

  const results: Partial<Record<BackendName, BackendResult>> = {};
  const unavailable: Partial<Record<BackendName, string>> = {};
  for (const backend of backends) {
    try {
      results[backend] = await benchBackend(backend, optsFor(backend), log);
    } catch (error) {
      unavailable[backend] = (error as Error).message.split("\n")[0] ?? String(error);
      log(`${backend}: unavailable: ${unavailable[backend]}`);
    }
  }

  const primary: BackendName | undefined = results.local ? "local" : results.process ? "process" : undefined;
  const numbers = (r?: BackendResult) =>
    r ? Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)])) : undefined;
  if (json) {
    const out = {
      backend: primary ?? null,
      spawnP50Ms: spawnP50Ms === null ? null : round(spawnP50Ms),
      bwrapP50Ms: bwrapP50Ms === null ? null : round(bwrapP50Ms),
      ...numbers(primary ? results[primary] : undefined),
      ...(results.process && primary !== "process" ? { process: numbers(results.process) } : {}),
      ...(Object.keys(unavailable).length > 0 ? { unavailable } : {}),
    };
    console.log(JSON.stringify(out));
    return;
  }
  printTable(spawnP50Ms, bwrapP50Ms, backends, results, unavailable);
}

function printTable(
  spawnP50Ms: number | null,
  bwrapP50Ms: number | null,
  backends: BackendName[],
  results: Partial<Record<BackendName, BackendResult>>,
  unavailable: Partial<Record<BackendName, string>>,
): void {
  const fmt = (x: number | null | undefined, unit = "ms") =>
    x === null || x === undefined ? "—" : `${round(x)} ${unit}`;
  const rows: [string, (r: BackendResult) => string, string][] = [
    [
      "create → first command p50",
      (r) => fmt(r.createP50Ms),
      `≤ 2 × bwrap = ${fmt(bwrapP50Ms && 2 * bwrapP50Ms)}`,
    ],
    ["create → first command p99", (r) => fmt(r.createP99Ms), ""],
    ["create → first command p50, cold (no spare)", (r) => fmt(r.createColdP50Ms), ""],
    [
      "exec in a live sandbox p50",
      (r) => fmt(r.execP50Ms),
      `≤ 1.5 × spawn = ${fmt(spawnP50Ms && 1.5 * spawnP50Ms)}`,
    ],
    ["reset, 10 files", (r) => fmt(r.resetSmallMs), ""],
    [
      "reset, large workspace",
      (r) => fmt(r.resetLargeMs),
      `≤ 2 × bwrap = ${fmt(bwrapP50Ms && 2 * bwrapP50Ms)}`,
    ],
    ["concurrent with a live process", (r) => `${r.concurrent} / ${r.concurrentTarget}`, "≥ 500"],
    ["host memory per sandbox (PSS)", (r) => fmt(r.hostMiBPerSandbox, "MiB"), "≤ 4 MiB"],
  ];
  const header = ["metric", ...backends, "target"];
  const table = [
    ["bare spawn /bin/true p50", ...backends.map(() => fmt(spawnP50Ms)), "baseline"],
    ["raw bwrap --unshare-all p50", ...backends.map(() => fmt(bwrapP50Ms)), "baseline"],
    ...rows.map(([name, cell, target]) => [
      name,
      ...backends.map((b) => (results[b] ? cell(results[b]!) : "unavailable")),
      target,
    ]),
  ];
  const widths = header.map((_, i) => Math.max(...[header, ...table].map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of table) console.log(line(row));
  for (const [b, why] of Object.entries(unavailable)) console.log(`\n${b}: unavailable — ${why}`);
}
