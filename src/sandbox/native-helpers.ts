// The small C helpers the local sandbox runs (launcher, in-sandbox agent, port forwarder,
// change exporter for diff, and the library preloaded into every command to keep it
// non-dumpable),
// found or built on first use. A checkout builds them into build/ (`prepare`); an installed
// package cannot count on install scripts (npm 12 no longer runs a dependency's scripts), so
// a missing helper is compiled at first use with the machine's C compiler — into build/
// when the package folder is writable, else into the user's cache — and `closedloop setup`
// does the same up front.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
const helperNames = ["cl-launch", "cl-agent", "cl-forward", "cl-export", "cl-nodump.so"] as const;
export type HelperName = (typeof helperNames)[number];

export interface NativeHelpers {
  dir: string;
  launcher: string;
  agent: string;
  forwarder: string;
  exporter: string;
  /** Preloaded into every sandboxed command: makes it non-dumpable (native/cl-nodump.c). */
  nodump: string;
}

export interface EnsureOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the package lives (tests point this at a copy). */
  packageRoot?: string;
}

/** The cache folder helpers go to when the package's own build/ cannot be written. */
export function nativeCacheDir(options: EnsureOptions = {}): string {
  const env = options.env ?? process.env;
  const base = env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache");
  return join(base, "closedloop", "native", sourceHash(options.packageRoot ?? root));
}

function sourceHash(packageRoot: string): string {
  const hash = createHash("sha256");
  const dir = join(packageRoot, "native");
  for (const file of existsSync(dir) ? readdirSync(dir).sort() : []) {
    hash.update(file);
    hash.update(readFileSync(join(dir, file)));
  }
  return hash.digest("hex").slice(0, 16);
}

function helpersIn(dir: string): NativeHelpers {
  return {
    dir,
    launcher: join(dir, "cl-launch"),
    agent: join(dir, "cl-agent"),
    forwarder: join(dir, "cl-forward"),
    exporter: join(dir, "cl-export"),
    nodump: join(dir, "cl-nodump.so"),
  };
}

function isComplete(dir: string): boolean {
  return helperNames.every((name) => existsSync(join(dir, name)));
}

/**
 * Whether the package's build/ was compiled from the sources beside it. A checkout that
 * pulls a changed native/ (a security fix in the agent, say) without re-running `prepare`
 * would otherwise keep running the old helpers. (The cache folder is keyed by the
 * sources' hash, so it cannot be stale.)
 */
function isFresh(dir: string, packageRoot: string): boolean {
  const src = join(packageRoot, "native");
  if (!existsSync(src)) return true;
  const newestSource = Math.max(...readdirSync(src).map((file) => statSync(join(src, file)).mtimeMs));
  // A millisecond of slack: timestamps go through Date (whole ms) on the way.
  return helperNames.every((name) => statSync(join(dir, name)).mtimeMs + 1 >= newestSource);
}

/** Whether helpers can be written into `dir` (tried, not guessed from mode bits: root ignores them). */
function isWritable(dir: string): boolean {
  const probe = join(dir, `.probe-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(probe, "");
    rmSync(probe);
    return true;
  } catch {
    return false;
  }
}

/** Helpers already built, without compiling anything. */
export function findNativeHelpers(options: EnsureOptions = {}): NativeHelpers | undefined {
  const packageRoot = options.packageRoot ?? root;
  const packageBuild = join(packageRoot, "build");
  if (isComplete(packageBuild) && isFresh(packageBuild, packageRoot)) return helpersIn(packageBuild);
  const cache = nativeCacheDir(options);
  if (isComplete(cache)) return helpersIn(cache);
  return undefined;
}

export interface BuildOutcome {
  helpers?: NativeHelpers;
  /** What the compiler said when it failed (or that there is none). */
  error?: string;
}

/** Finds the helpers, compiling them when they are missing. */
export function ensureNativeHelpers(options: EnsureOptions = {}): BuildOutcome {
  const found = findNativeHelpers(options);
  if (found) return { helpers: found };
  const packageRoot = options.packageRoot ?? root;
  const packageBuild = join(packageRoot, "build");
  const out = isWritable(packageBuild) ? packageBuild : nativeCacheDir(options);
  const script = join(packageRoot, "scripts", "build-native.mjs");
  const r = spawnSync(process.execPath, [script, "--out", out], {
    encoding: "utf8",
    env: options.env ?? process.env,
  });
  if (isComplete(out)) return { helpers: helpersIn(out) };
  return { error: (r.stderr || r.error?.message || `exit ${r.status}`).trim() };
}
