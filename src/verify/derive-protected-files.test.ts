import assert from "node:assert/strict";
import { test } from "node:test";
import { deriveProtectedFiles, deriveProtection, splitCommands } from "./derive-protected-files.ts";
import { describeProtectedChange, isProtectedBy } from "./protection.ts";
import { scratchProjects } from "./testing/project-files.ts";

const project = scratchProjects("derive");

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
    "src/node_modules/tape/index.js",
    "pytest.py",
    "cheat-0.1.dist-info/entry_points.txt",
    "lib/cheat.egg-info/entry_points.txt",
    "cheat.egg-link",
    "__editable__.cheat-0.1.pth",
    "__editable___cheat_finder.py",
    "deep/er/x.pth",
    "usercustomize.py",
    "tests/__pycache__/test_calc.cpython-311.pyc",
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
    "tools/lint.js": "",
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
  assert.equal(protects(ws, ["npm test"], "tools/lint.js"), false, "not named by this verifier");
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

test("a folder operand protects everything under it, new files too; a glob what it matches", () => {
  const ws = project("operands", {
    "test/cart.test.js": "",
    "test/deep/helpers.js": "",
    "spec/a.spec.js": "",
    "tests/unit/test_a.py": "",
    "src/cart.js": "",
    "src/cart.test.js": "",
  });
  for (const path of ["test/cart.test.js", "test/deep/helpers.js", "test/new.test.js"])
    assert.equal(protects(ws, ["node --test test/"], path), true, path);
  assert.equal(protects(ws, ["node --test test/"], "src/cart.js"), false, "source stays the model's");
  assert.equal(protects(ws, ["node --test test/"], "src/cart.test.js"), false, "not collected from test/");
  assert.equal(protects(ws, ["node --test 'spec/*.spec.js'"], "spec/a.spec.js"), true);
  assert.equal(protects(ws, ["node --test 'spec/*.spec.js'"], "spec/new.spec.js"), true, "a new match");
  assert.equal(protects(ws, ["node --test 'spec/*.spec.js'"], "spec/data.js"), false);
  assert.equal(protects(ws, ['pytest "tests/**/*.py"'], "tests/unit/test_a.py"), true);
  assert.equal(protects(ws, ["npx mocha 'spec/*.{js,cjs}'"], "spec/b.cjs"), true, "braces expand");
  assert.equal(protects(ws, ["python3 -m pytest tests -q"], "tests/unit/conf.json"), true);
  assert.equal(
    protects(ws, ["python3 -m pytest tests/unit/test_a.py::test_x"], "tests/unit/test_a.py"),
    true,
  );
});

test("a runner given no operand protects its default test locations", () => {
  const ws = project("defaults", {
    "src/a.js": "",
    "setup.cfg": "[tool:pytest]\ntestpaths =\n    checks\n    more\npython_files = check_*.py\n",
    "checks/x.py": "",
  });
  const cases: [string, string[], string[]][] = [
    [
      "node --test",
      ["src/a.test.js", "lib/b_test.mjs", "test/x.js", "pkg/test/deep/y.cjs", "test.js"],
      ["src/a.js"],
    ],
    ["npx jest --ci", ["src/__tests__/a.js", "src/a.spec.ts", "a.test.jsx"], ["src/a.js", "test/helpers.js"]],
    ["vitest run", ["src/a.test.ts", "b.spec.mjs"], ["src/a.js"]],
    ["node_modules/.bin/mocha", ["test/a.js", "test/sub/b.js"], ["src/a.js", "lib/test/c.js"]],
    [
      "python3 -m pytest -q",
      ["pkg/test_a.py", "b_test.py", "checks/x.py", "more/y.py", "z/check_q.py"],
      ["calc.py"],
    ],
    ["python -m unittest", ["tests/test_a.py"], ["calc.py"]],
    ["prove", ["t/a.t"], ["lib/A.pm"]],
  ];
  for (const [command, yes, no] of cases) {
    for (const path of yes) assert.equal(protects(ws, [command], path), true, `${command}: ${path}`);
    for (const path of no) assert.equal(protects(ws, [command], path), false, `${command}: ${path}`);
  }
  // jest's operands filter its defaults rather than replace them, and a folder is not a test folder.
  assert.equal(protects(ws, ["jest src"], "lib/x.test.js"), true);
  assert.equal(protects(ws, ["jest src"], "src/a.js"), false);
  assert.equal(protects(ws, ["go test ./src/..."], "src/a_test.go"), true);
  assert.equal(protects(ws, ["go test ./src"], "src/a.go"), false, "a package is source");
  assert.equal(protects(ws, ["cargo test"], "crate/tests/it.rs"), true);
  assert.equal(protects(ws, ["cargo test"], "crate/src/lib.rs"), false);
  assert.equal(protects(ws, ["bun test"], "src/a_spec.ts"), true);
  assert.equal(protects(ws, ["deno test"], "src/a_test.ts"), true);
  // With an operand, node collects only what it names.
  assert.equal(protects(ws, ["node --test src/a.js"], "lib/x.test.js"), false);
});

test("test helpers the tests import are protected; the code under test is not", () => {
  const ws = project("helpers", {
    "test/cart.test.js":
      'const { eq } = require("./helpers");\nconst { total } = require("../src/cart.js");\nimport "./setup/env.mjs";\n',
    "test/helpers.js": 'module.exports = require("./deep/compare.js");\n',
    "test/deep/compare.js": "",
    "test/setup/env.mjs": "",
    "src/cart.js": 'import { fmt } from "./format-helpers.js";\n',
    "src/format-helpers.js": "",
    "src/cart.spec.ts":
      'import { mock } from "./mocks";\nimport { total } from "./cart.js";\nimport { fmt } from "./format-helpers.js";\n',
    "src/mocks.ts": "",
    "calc.py": "from util import twice\n",
    "util.py": "",
    "tests/__init__.py": "",
    "tests/test_calc.py":
      "from calc import mul\nfrom tests.helpers import check\nfrom .support import fixture_data\nfrom . import shared\npytest_plugins = ['tests.plug']\n",
    "tests/helpers.py": "import tests.deep_helpers\n",
    "tests/deep_helpers.py": "",
    "tests/support.py": "",
    "tests/shared.py": "",
    "tests/plug.py": "",
    "conftest.py": "from testing_fixtures import db\n",
    "testing_fixtures.py": "",
  });
  const node = ["node --test test/cart.test.js"];
  for (const path of ["test/helpers.js", "test/deep/compare.js", "test/setup/env.mjs"])
    assert.equal(protects(ws, node, path), true, path);
  assert.equal(protects(ws, node, "src/cart.js"), false, "the code under test");
  const jest = ["npx jest"];
  assert.equal(protects(ws, jest, "src/mocks.ts"), true, "a colocated helper");
  assert.equal(protects(ws, jest, "src/cart.js"), false, "the code under test");
  assert.equal(protects(ws, jest, "src/format-helpers.js"), false, "imported by source: code under test");
  const py = ["python3 -m pytest -q"];
  for (const path of [
    "tests/helpers.py",
    "tests/deep_helpers.py",
    "tests/support.py",
    "tests/shared.py",
    "tests/plug.py",
    "testing_fixtures.py",
  ])
    assert.equal(protects(ws, py, path), true, path);
  for (const path of ["calc.py", "util.py"]) assert.equal(protects(ws, py, path), false, path);
});
