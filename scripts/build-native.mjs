#!/usr/bin/env node
// Compiles the small C helpers the local sandbox runs (launcher, in-sandbox agent, port
// forwarder). They are tiny so that hundreds of sandboxes fit in memory side by side.
// A machine with no C compiler still installs; the local backend then says how to fix it.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const srcDir = join(root, "native");
const outDir = join(root, "build");
mkdirSync(outDir, { recursive: true });

const cc = process.env.CC ?? "cc";
let failed = false;
for (const file of existsSync(srcDir) ? readdirSync(srcDir) : []) {
  if (!file.endsWith(".c")) continue;
  const out = join(outDir, file.slice(0, -2));
  const r = spawnSync(
    cc,
    ["-O2", "-Wall", "-Wextra", "-Wno-format-truncation", "-o", out, join(srcDir, file)],
    { stdio: "inherit" },
  );
  if (r.error || r.status !== 0) {
    failed = true;
    console.warn(`closedloop: could not compile native/${file} (${r.error?.message ?? `exit ${r.status}`}).`);
  }
}
if (failed)
  console.warn(
    "closedloop: the local sandbox needs a C compiler: apt-get install gcc, then npm run build:native",
  );
