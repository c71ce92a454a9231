// `npm run bench -- cli`: whole processes as a user runs them, medians against baselines
// measured in the same run: `node -e 0`, raw bubblewrap, and Anthropic's sandbox-runtime
// (`srt`, installed with Node 22 from npm into ~/.cache/closedloop-bench on first use).
// The build in dist/ is what runs (rebuilt first when the sources are newer).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";

const root = new URL("../", import.meta.url).pathname;
const cli = join(root, "bin", "closedloop.mjs");
const cache = join(homedir(), ".cache", "closedloop-bench");
const env: NodeJS.ProcessEnv = { ...process.env, CLOSEDLOOP_FROM_SOURCE: "" };

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    t = Math.max(t, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs);
  return t;
}

function ensureBuild(): void {
  const main = join(root, "dist", "cli", "main.js");
  if (existsSync(main) && statSync(main).mtimeMs >= newest(join(root, "src"))) return;
  console.error("bench cli: building dist/ (npm run build) …");
  const r = spawnSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) throw new Error("npm run build failed");
}

/** srt and the Node 22 it needs, from npm into the bench cache; undefined (with why) if unavailable. */
function ensureSrt(): { node: string; srt: string } | string {
  const node = join(cache, "node_modules", "node", "bin", "node");
  const srt = join(cache, "node_modules", "@anthropic-ai", "sandbox-runtime", "dist", "cli.js");
  if (!existsSync(node) || !existsSync(srt)) {
    mkdirSync(cache, { recursive: true });
    console.error(`bench cli: installing node@22 and @anthropic-ai/sandbox-runtime into ${cache} …`);
    spawnSync(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefix", cache, "node@22", "@anthropic-ai/sandbox-runtime"],
      {
        stdio: "inherit",
      },
    );
  }
  if (!existsSync(node)) return "node@22 could not be installed";
  for (const tool of ["rg", "socat"])
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0)
      return "srt needs ripgrep and socat on Linux: apt-get install ripgrep socat";
  if (!existsSync(srt)) return "@anthropic-ai/sandbox-runtime could not be installed";
  return { node, srt };
}

function once(file: string, args: string[], cwd = root): number {
  const t0 = performance.now();
  const r = spawnSync(file, args, { cwd, env, stdio: "ignore" });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${file} ${args.join(" ")} exited ${r.status}`);
  return ms;
}

function median(file: string, args: string[], n: number, cwd = root): number {
  once(file, args, cwd); // warm the page cache
  const times = Array.from({ length: n }, () => once(file, args, cwd)).sort((a, b) => a - b);
  return times[Math.floor(n / 2)]!;
}

export async function main(args: string[]): Promise<void> {
  const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 9);
  ensureBuild();
  const work = mkdtempSync(join(tmpdir(), "closedloop-bench-cli-"));
  try {
    const node = median(process.execPath, ["-e", "0"], n);
    const version = median(process.execPath, [cli, "--version"], n);
    const help = median(process.execPath, [cli, "--help"], n);
    const bwrapArgs = [
      "--unshare-all",
      "--die-with-parent",
      "--ro-bind",
      "/",
      "/",
      "--dev",
      "/dev",
      "--proc",
      "/proc",
      "true",
    ];
    const bwrap = median("bwrap", bwrapArgs, n, work);
    const sandbox = median(process.execPath, [cli, "sandbox", "--", "true"], n, work);
    const srtTools = ensureSrt();
    let srt: number | string;
    if (typeof srtTools === "string") srt = srtTools;
    else {
      // No network at all: an empty allow-list, and nothing writable but the workspace.
      const settings = join(work, "srt-settings.json");
      writeFileSync(
        settings,
        JSON.stringify({
          network: { allowedDomains: [], deniedDomains: [] },
          filesystem: { denyRead: [], allowWrite: [work], denyWrite: [] },
        }),
      );
      try {
        srt = median(srtTools.node, [srtTools.srt, "--settings", settings, "true"], n, work);
      } catch (error) {
        srt = `srt failed: ${(error as Error).message}`;
      }
    }
    const demoN = Math.max(3, Math.floor(n / 3));
    const stateEnv = join(work, "state");
    process.env.XDG_STATE_HOME = stateEnv;
    env.XDG_STATE_HOME = stateEnv;
    const demo = median(process.execPath, [cli, "demo", "--plain"], demoN, work);

    const rows: [string, number, string, string][] = [
      ["node -e 0", node, "baseline", ""],
      [
        "closedloop --version",
        version,
        `${(version / node).toFixed(2)}× node`,
        version <= 1.5 * node ? "✓ ≤ 1.5×" : "✗ > 1.5×",
      ],
      [
        "closedloop --help",
        help,
        `${(help / node).toFixed(2)}× node`,
        help <= 1.5 * node ? "✓ ≤ 1.5×" : "✗ > 1.5×",
      ],
      ["bwrap --unshare-all … true", bwrap, "baseline", ""],
      [
        "closedloop sandbox -- true",
        sandbox,
        `${(sandbox / (node + bwrap)).toFixed(2)}× (node + bwrap)`,
        sandbox <= 2 * (node + bwrap) ? "✓ ≤ 2×" : "✗ > 2×",
      ],
    ];
    if (typeof srt === "number")
      rows.push([
        "srt true (node 22)",
        srt,
        `${(srt / sandbox).toFixed(2)}× closedloop`,
        srt >= 3 * sandbox ? "✓ ≥ 3× slower" : "✗ < 3×",
      ]);
    rows.push(["closedloop demo (end to end)", demo, `n=${demoN}`, demo < 3000 ? "✓ < 3 s" : "✗ ≥ 3 s"]);
    if (args.includes("--json")) {
      console.log(
        JSON.stringify({ n, rows: rows.map(([name, ms, ratio, goal]) => ({ name, ms, ratio, goal })), srt }),
      );
      return;
    }
    console.log(`whole-process medians of ${n} runs (demo ${demoN}); machine shared, expect noise\n`);
    console.log(`${"command".padEnd(32)} ${"median ms".padStart(10)}  ${"vs".padEnd(26)} goal`);
    for (const [name, ms, ratio, goal] of rows)
      console.log(`${name.padEnd(32)} ${ms.toFixed(1).padStart(10)}  ${ratio.padEnd(26)} ${goal}`);
    if (typeof srt === "string") console.log(`\nsrt: not measured (${srt})`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
