#!/usr/bin/env node
// Builds dist/, what the package ships and bin/closedloop.mjs runs: src/cli/main.ts and
// everything it imports, bundled by esbuild into dist/cli/. A start then reads a handful of
// files instead of one per module (the module loader's cost per file is most of what a
// short command like `closedloop sandbox -- true` spends in JavaScript). Each command and
// each backend stays its own chunk behind its dynamic import, so a command loads only what
// it uses, and npm packages (providers, playwright-core, the MCP SDK) are not bundled:
// they load from node_modules when, and only when, a command imports them.
// Types are checked by `npm run typecheck` (tsc), not here. Chunks keep the depth of
// src/<module>/<file>.ts, so `new URL("../../…", import.meta.url)` finds the same files.
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = new URL("..", import.meta.url).pathname;
const dist = join(root, "dist");

rmSync(dist, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ["src/cli/main.ts"],
  outdir: join(dist, "cli"),
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  logLevel: "warning",
});
cpSync(join(root, "src", "web", "static"), join(dist, "web", "static"), { recursive: true });
