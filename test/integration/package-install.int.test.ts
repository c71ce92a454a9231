// The package as a user gets it: `npm pack` (which builds dist/ through `prepare`), then
// `npm install -g` of the tarball into a temporary prefix, then `closedloop demo` from there.
// The tarball holds what a user needs and nothing else, and installs without install scripts.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

const root = new URL("../../", import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), "closedloop-package-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };

test("npm pack + npm install -g gives a closedloop whose demo ends verified", { timeout: 900_000 }, () => {
  const out = join(scratch, "pack");
  mkdirSync(out, { recursive: true });
  execFileSync("npm", ["pack", "--pack-destination", out, "--silent"], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    timeout: 600_000,
  });
  const tarball = join(out, readdirSync(out).find((f) => f.endsWith(".tgz"))!);

  const files = execFileSync("tar", ["tzf", tarball], { encoding: "utf8" }).trim().split("\n");
  const inPackage = (prefix: string) => files.some((f) => f.startsWith(`package/${prefix}`));
  for (const needed of [
    "bin/closedloop.mjs",
    "dist/cli/main.js",
    "dist/web/static/app.js",
    "dist/web/static/index.html",
    "native/cl-launch.c",
    "scripts/build-native.mjs",
    "prompts/system.md",
    "examples/demo/turns.json",
  ])
    assert.ok(inPackage(needed), `the package holds ${needed}`);
  for (const unwanted of ["src/", "test/", "bench/", ".ci/", "build/", "node_modules/", "tsconfig"])
    assert.ok(!inPackage(unwanted), `the package leaves out ${unwanted}`);
  assert.ok(!files.some((f) => /^package\/dist\/.*\.test\.js$/.test(f)), "no compiled tests ship");
  // dist/ is a bundle (scripts/build-dist.mjs) split per command and backend: the sandbox
  // command and the local backend are chunks of their own, and no npm package is bundled in.
  const chunks = files.filter((f) => /^package\/dist\/cli\/[^/]+\.js$/.test(f));
  for (const lazy of ["sandbox-command-", "local-sandbox-", "run-command-", "mcp-command-"])
    assert.ok(
      chunks.some((f) => f.startsWith(`package/dist/cli/${lazy}`)),
      `${lazy}*.js is a chunk of its own`,
    );

  const prefix = join(scratch, "prefix");
  const install = spawnSync(
    "npm",
    ["install", "-g", "--prefix", prefix, tarball, "--no-audit", "--no-fund", "--prefer-offline"],
    { encoding: "utf8", timeout: 600_000 },
  );
  assert.equal(install.status, 0, install.stderr);
  assert.doesNotMatch(
    install.stderr,
    /closedloop@[^ ]+ \((pre|post)?install/,
    "closedloop runs no install script",
  );

  const bin = join(prefix, "bin", "closedloop");
  const env = {
    ...process.env,
    CLOSEDLOOP_FROM_SOURCE: "",
    XDG_STATE_HOME: join(scratch, "state"),
    XDG_CACHE_HOME: join(scratch, "cache"),
  };
  assert.equal(execFileSync(bin, ["--version"], { encoding: "utf8", env }).trim(), manifest.version);
  const cwd = mkdtempSync(join(scratch, "cwd-"));
  const demo = spawnSync(bin, ["demo", "--plain"], { cwd, encoding: "utf8", env, timeout: 300_000 });
  assert.equal(demo.status, 0, demo.stdout + demo.stderr);
  assert.match(demo.stdout, /scripted \(no LLM\)/);
  assert.match(demo.stdout, /✓ verified/);
  assert.deepEqual(readdirSync(cwd), [], "the demo writes nothing into the current directory");
});
