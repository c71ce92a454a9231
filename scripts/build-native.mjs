#!/usr/bin/env node
// Compiles the small C helpers the local sandbox runs (launcher, in-sandbox agent, port
// forwarder, …). They are tiny so that hundreds of sandboxes fit in memory side by side.
// A source listed in `sharedLibraries` becomes a preloadable NAME.so (-shared -fPIC).
//   node scripts/build-native.mjs [--out DIR] [--strict]   (default: build/ beside native/)
// Each binary is written under a temporary name and renamed, so two processes building at
// once never run a half-written helper. A machine with no C compiler gets a message that
// says what to install; the local backend says the same when it needs the helpers.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const srcDir = join(root, "native");
const outFlag = process.argv.indexOf("--out");
const outDir = outFlag > 0 ? process.argv[outFlag + 1] : join(root, "build");
mkdirSync(outDir, { recursive: true });

const cc = process.env.CC ?? "cc";
/** Sources built as shared libraries, preloaded into what the sandbox runs. */
const sharedLibraries = new Set(["cl-nodump.c"]);
// Every helper is dated no earlier than the newest source, so the run-time check "is build/
// older than native/?" (src/sandbox/native-helpers.ts) holds even for sources dated ahead.
const sources = existsSync(srcDir) ? readdirSync(srcDir) : [];
const builtAt = new Date(
  Math.ceil(Math.max(Date.now(), ...sources.map((f) => statSync(join(srcDir, f)).mtimeMs))) + 1,
);
let failed = false;
for (const file of existsSync(srcDir) ? readdirSync(srcDir) : []) {
  if (!file.endsWith(".c")) continue;
  const shared = sharedLibraries.has(file);
  const out = join(outDir, file.slice(0, -2) + (shared ? ".so" : ""));
  const partial = `${out}.partial-${process.pid}`;
  const r = spawnSync(
    cc,
    [
      "-O2",
      "-Wall",
      "-Wextra",
      "-Wno-format-truncation",
      ...(shared ? ["-shared", "-fPIC"] : []),
      "-o",
      partial,
      join(srcDir, file),
    ],
    { stdio: ["ignore", "inherit", "inherit"] },
  );
  if (r.error || r.status !== 0) {
    failed = true;
    rmSync(partial, { force: true });
    console.error(
      `closedloop: could not compile native/${file} (${r.error?.message ?? `exit ${r.status}`}).`,
    );
  } else {
    utimesSync(partial, builtAt, builtAt);
    renameSync(partial, out);
  }
}
if (failed) {
  console.error(
    "closedloop: the local sandbox needs a C compiler: run 'closedloop setup' (or apt-get install gcc libc6-dev), then 'npm run build:native'",
  );
  // `npm install` in a checkout must still finish on a machine without a compiler, so that
  // `closedloop setup` can install one; only callers that ask get a failing exit.
  if (process.argv.includes("--strict")) process.exitCode = 1;
}
