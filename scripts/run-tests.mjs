#!/usr/bin/env node
// Finds test files and runs them with Node's own test runner (through tsx for TypeScript).
// Node 20's `--test` takes no globs, so the file list is built here.
//   (no flag)    every test: unit (src/**/*.test.ts), integration (test/**), security battery
//   --unit       only the fast unit tests beside the code
//   --security   only the escape battery; `--report [--json]` prints the attack × backend table instead
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);

function findTests(dir) {
  const out = [];
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === "node_modules" || name === "fixtures" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out.sort();
}

if (args.includes("--security") && args.includes("--report")) {
  const rest = args.filter((a) => a !== "--security" && a !== "--report");
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "test/security/report.ts"), ...rest], {
    stdio: "inherit",
  });
  process.exit(r.status ?? 1);
}

let files;
if (args.includes("--unit")) files = findTests(join(root, "src")).filter((f) => !f.endsWith(".int.test.ts"));
else if (args.includes("--security")) files = findTests(join(root, "test/security"));
else files = [...findTests(join(root, "src")), ...findTests(join(root, "test"))];

const only = args.filter((a) => !a.startsWith("--"));
if (only.length > 0) files = files.filter((f) => only.some((o) => relative(root, f).includes(o)));
if (files.length === 0) {
  console.error("no test files found");
  process.exit(1);
}

const r = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-reporter=spec", "--test-concurrency=2", ...files],
  // Tests that start `bin/closedloop.mjs` run the sources, never a dist/ build that may be stale.
  { stdio: "inherit", cwd: root, env: { ...process.env, CLOSEDLOOP_FROM_SOURCE: "1" } },
);
process.exit(r.status ?? 1);
