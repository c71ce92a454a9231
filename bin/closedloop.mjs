#!/usr/bin/env node
// Entry point. It runs the compiled JavaScript in dist/ (what the package ships; a checkout
// builds it on `npm install`). In a checkout whose sources are newer than that build, or with
// CLOSEDLOOP_FROM_SOURCE=1 (the test runner sets it), it runs the TypeScript sources through
// tsx instead, so a stale build is never what runs.
import { existsSync, readdirSync, statSync } from "node:fs";

const root = new URL("../", import.meta.url);
const built = new URL("dist/cli/main.js", root);
const sources = new URL("src/", root);

// Tests never reach dist/ (nothing the CLI imports imports them), so they are not looked at:
// that halves the files this check stats at every start.
const notBuilt = /\.test\.ts$|test-support|^testing$/;

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (notBuilt.test(entry.name)) continue;
    const path = `${dir}/${entry.name}`;
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isBuildCurrent() {
  if (!existsSync(built)) return false;
  if (!existsSync(sources)) return true; // an installed package: dist/ is all there is
  return statSync(built).mtimeMs >= newestMtime(sources.pathname.replace(/\/$/, ""));
}

if (process.env.CLOSEDLOOP_FROM_SOURCE !== "1" && isBuildCurrent()) {
  await import(built.href);
} else {
  let register;
  try {
    ({ register } = await import("tsx/esm/api"));
  } catch {
    console.error(
      "closedloop: dist/ is missing or older than src/, and tsx is not installed to run the sources: run 'npm install' (or 'npm run build') in this checkout",
    );
    process.exit(2);
  }
  register();
  await import("../src/cli/main.ts");
}
