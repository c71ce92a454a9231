import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { deriveProtectedFiles, deriveProtection, splitCommands } from "./derive-protected-files.ts";
import { describeProtectedChange, isProtectedBy } from "./protection.ts";

const root = mkdtempSync(join(tmpdir(), "closedloop-derive-"));
after(() => rmSync(root, { recursive: true, force: true }));

function project(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

const protects = (workspace: string, commands: string[], path: string, allowEdit: string[] = []) =>
  isProtectedBy({ protect: deriveProtectedFiles({ workspace, commands }), allowEdit }, path);

test("runner, compiler and package-manager files are protected at any depth, existing or not", () => {
  const ws = project("fixed", { "src/a.js": "" });
  for (const path of [
    "package.json",
    "packages/x/package.json",
    ".npmrc",
    ".yarnrc.yml",
    "pnpm-workspace.yaml",
    "jest.config.js",
    "vitest.config.mts",
    ".mocharc.yml",
    "tsconfig.build.json",
    ".babelrc",
    "pytest.ini",
    "pyproject.toml",
    "tests/deep/conftest.py",
    "sitecustomize.py",
    "Cargo.toml",
    ".cargo/config.toml",
    "crates/a/build.rs",
    "go.mod",
    "Makefile",
    ".env.test",
    "node_modules/jest/bin/jest.js",
    "pytest.py",
  ])
    assert.equal(protects(ws, ["npm test"], path), true, path);
  for (const path of [
    "src/a.js",
    "src/tsconfig-helpers.ts",
    "lib/package-name.js",
    "README.md",
    "src/vendor/x.js",
  ])
    assert.equal(protects(ws, ["npm test"], path), false, path);
});

test("the verifier's script, its preloads and the scripts it reaches through npm are protected", () => {
  const ws = project("scripts", {
    "package.json": JSON.stringify({
      scripts: {
        pretest: "node scripts/prepare.mjs",
        test: "npm run unit && sh ./scripts/e2e.sh",
        unit: "node --require ./test/setup.cjs --import=./test/hooks.mjs --test test/",
      },
    }),
    "scripts/prepare.mjs": "",
    "scripts/e2e.sh": "node tools/e2e-runner.js --fast\n",
    "tools/e2e-runner.js": "",
    "test/setup.cjs": "",
    "test/hooks.mjs": "",
    "test/run.js": "",
    "src/index.js": "",
  });
  for (const path of [
    "scripts/prepare.mjs",
    "scripts/e2e.sh",
    "tools/e2e-runner.js",
    "test/setup.cjs",
    "test/hooks.mjs",
  ])
    assert.equal(protects(ws, ["npm test"], path), true, path);
  assert.equal(protects(ws, ["node test/run.js"], "test/run.js"), true);
  assert.equal(protects(ws, ["npm test"], "src/index.js"), false, "source stays the model's");
  assert.equal(protects(ws, ["npm test"], "test/run.js"), false, "not named by this verifier");
  assert.equal(protects(ws, ["tsc -p . src/index.js"], "src/index.js"), false, "tsc's operands are source");
});

test("tsconfig extends chains, into node_modules too, and runner setup files are followed", () => {
  const ws = project("configs", {
    "tsconfig.json": JSON.stringify({ extends: "./config/base.json", references: [{ path: "./pkg" }] }),
    "config/base.json": JSON.stringify({ extends: "@acme/tsconfig/strict.json" }),
    "node_modules/@acme/tsconfig/strict.json": "{}",
    "pkg/tsconfig.json": "{}",
    "jest.config.js":
      'module.exports = {\n  setupFilesAfterEnv: ["<rootDir>/support/jest-setup.js"],\n  collectCoverageFrom: ["src/a.js"],\n};\n',
    "support/jest-setup.js": "",
    "vitest.config.ts":
      'import shared from "./support/shared-config";\nexport default { test: { setupFiles: "./support/vitest-setup.ts" } };\n',
    "support/shared-config.ts": "",
    "support/vitest-setup.ts": "",
    "src/a.js": "",
  });
  for (const path of [
    "config/base.json",
    "node_modules/@acme/tsconfig/strict.json",
    "pkg/tsconfig.json",
    "support/jest-setup.js",
    "support/shared-config.ts",
    "support/vitest-setup.ts",
  ])
    assert.equal(protects(ws, ["npx tsc -p ."], path), true, path);
  assert.equal(protects(ws, ["npx jest"], "src/a.js"), false, "a coverage list is not a setup file");
});

test("--allow-edit opts a path out, and the refusal names it honestly for dependencies", () => {
  const ws = project("allow", { "src/a.js": "" });
  assert.equal(protects(ws, ["npm test"], "package.json", ["package.json"]), false);
  assert.equal(protects(ws, ["npm test"], ".npmrc", ["package.json"]), true);
  const protection = deriveProtection({ commands: ["npm test"], protect: [], hidden: [] }, ws);
  const deps = describeProtectedChange(protection, ["package.json"]);
  assert.match(deps ?? "", /decides how the verifier runs/);
  assert.match(deps ?? "", /--allow-edit package\.json/);
  assert.match(describeProtectedChange(protection, [".npmrc"]) ?? "", /protected/);
  assert.equal(describeProtectedChange(protection, ["src/a.js"]), undefined);
});

test("command lines are split into simple commands with quotes removed", () => {
  assert.deepEqual(splitCommands(`A=1 node -e "x y" && sh 'a b.sh'; make|cat`), [
    ["A=1", "node", "-e", "x y"],
    ["sh", "a b.sh"],
    ["make"],
    ["cat"],
  ]);
});
