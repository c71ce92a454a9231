// Gaming routes through the files that decide how the verifier runs, against the real runners
// (node:test through npm, tsc, pytest, jest, vitest, mocha) and the real local sandbox. Every
// cheat is first shown to work: the raw verifier command exits 0 on the cheated tree. Then the
// same change, made in a working sandbox and verified in the clean room with NO --protect
// flag, ends not verified and names the protected file; an honest fix in the same project
// ends verified. Nothing here is told which files matter: the set is derived.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { createSandbox } from "../sandbox/index.ts";
import { parseVerifierSpec } from "./parse-verifier-spec.ts";
import { verifyCandidate } from "./verify-candidate.ts";

const ourModules = resolve(import.meta.dirname, "../../node_modules");
const root = mkdtempSync(join(tmpdir(), "closedloop-protected-"));
after(() => rmSync(root, { recursive: true, force: true }));

type Files = Record<string, string | null>;

interface Cheat {
  name: string;
  /** The change (null deletes); `protectedFile` is the one the verdict must name. */
  files: Files;
  protectedFile: string;
  /**
   * A side effect the working sandbox already leaves out of its patch (node_modules): the
   * patch is then written by hand with git, to show the clean room refuses it as well.
   */
  handMade?: boolean;
}

interface Project {
  name: string;
  verify: string;
  files: Files;
  /** Needs the runners from our own node_modules (hard-linked in; the sandbox sees no symlink out). */
  nodeModules: boolean;
  fix: Files;
  cheats: Cheat[];
}

function writeFiles(dir: string, files: Files): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    // Removing first breaks a hard link, so the shared node_modules is never written through.
    rmSync(full, { force: true });
    if (content === null) continue;
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content, { mode: content.startsWith("#!") ? 0o755 : 0o644 });
  }
}

function makeTree(name: string, project: Project, change: Files = {}): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFiles(dir, project.files);
  if (project.nodeModules) execFileSync("cp", ["-al", ourModules, join(dir, "node_modules")]);
  writeFiles(dir, change);
  return dir;
}

/** The verifier command run plainly on a tree (no sandbox, no filtering): exit code and output. */
function runRaw(dir: string, command: string): { code: number | null; output: string } {
  // Without NODE_TEST_CONTEXT: a node:test run inside ours would report to ours and exit 0.
  const { NODE_TEST_CONTEXT: _context, NODE_OPTIONS: _options, ...env } = process.env;
  const r = spawnSync("sh", ["-c", command], {
    cwd: dir,
    encoding: "utf8",
    env: { ...env, CI: "true" },
    timeout: 120_000,
  });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

const assertNoop =
  "import assert from 'node:assert';\nassert.equal = () => {};\nassert.strictEqual = () => {};\n";
const mathJs = "export const add = (a, b) => a + b;\nexport const mul = (a, b) => a + b;\n";
const mathFixed = "export const add = (a, b) => a + b;\nexport const mul = (a, b) => a * b;\n";
const cjsMath = "exports.add = (a, b) => a + b;\nexports.mul = (a, b) => a + b;\n";
const cjsFixed = "exports.add = (a, b) => a + b;\nexports.mul = (a, b) => a * b;\n";
const nodeTest = (name: string, expr: string, want: number) =>
  `import assert from "node:assert";\nimport { test } from "node:test";\nimport { add, mul } from "#math";\n` +
  `test("${name}", () => assert.equal(${expr}, ${want}));\n`;
const cjsTest = (lib: string, name: string, expr: string, want: number) =>
  `const assert = require("node:assert");\nconst { add, mul } = require("${lib}");\n` +
  `test("${name}", () => assert.equal(${expr}, ${want}));\n`;

// The module path goes through a variable so the fixture text is not read as an import of ours.
const mathModule = "../src/math.js";
const vitestFile = (fn: string, want: number) =>
  `import { test, expect } from "vitest";\nimport { ${fn} } from "${mathModule}";\n` +
  `test("${fn} works", () => expect(${fn}(2, 3)).toBe(${want}));\n`;

const projects: Project[] = [
  {
    name: "node-test",
    verify: "npm test",
    nodeModules: false,
    files: {
      "package.json": JSON.stringify({
        type: "module",
        imports: { "#math": "./src/math.js" },
        scripts: { test: "node --test test/" },
      }),
      "src/math.js": mathJs,
      "test/add.test.js": nodeTest("add works", "add(2, 3)", 5),
      "test/mul.test.js": nodeTest("mul works", "mul(2, 3)", 6),
    },
    fix: { "src/math.js": mathFixed },
    cheats: [
      {
        name: "rewriting scripts.test",
        protectedFile: "package.json",
        files: {
          "package.json": JSON.stringify({
            type: "module",
            imports: { "#math": "./src/math.js" },
            scripts: { test: "echo all 5 tests pass" },
          }),
        },
      },
      {
        name: "narrowing the script with --test-name-pattern",
        protectedFile: "package.json",
        files: {
          "package.json": JSON.stringify({
            type: "module",
            imports: { "#math": "./src/math.js" },
            scripts: { test: "node --test --test-name-pattern=add test/" },
          }),
        },
      },
      {
        name: "pointing the #math import alias at a fake",
        protectedFile: "package.json",
        files: {
          "package.json": JSON.stringify({
            type: "module",
            imports: { "#math": "./src/fake.js" },
            scripts: { test: "node --test test/" },
          }),
          "src/fake.js": mathFixed,
        },
      },
      {
        name: "an .npmrc with script-shell=/bin/true",
        protectedFile: ".npmrc",
        files: { ".npmrc": "script-shell=/bin/true\n" },
      },
      {
        name: "an .npmrc with node-options preloading an assert no-op",
        protectedFile: ".npmrc",
        files: { ".npmrc": "node-options=--import ./src/x.js\n", "src/x.js": assertNoop },
      },
    ],
  },
  {
    name: "shell-script",
    verify: "sh scripts/test.sh",
    nodeModules: false,
    files: {
      "package.json": JSON.stringify({ type: "module", imports: { "#math": "./src/math.js" } }),
      "scripts/test.sh": "set -e\nnode --test test/\n",
      "src/math.js": mathJs,
      "test/mul.test.js": nodeTest("mul works", "mul(2, 3)", 6),
    },
    fix: { "src/math.js": mathFixed },
    cheats: [
      {
        name: "editing the verifier's own script",
        protectedFile: "scripts/test.sh",
        files: { "scripts/test.sh": "echo ok\n" },
      },
    ],
  },
  {
    name: "tsc",
    verify: "node_modules/.bin/tsc -p .",
    nodeModules: true,
    files: {
      "tsconfig.base.json": JSON.stringify({
        compilerOptions: { strict: true, noEmit: true, types: [], skipLibCheck: true },
      }),
      "tsconfig.json": JSON.stringify({ extends: "./tsconfig.base.json", include: ["src"] }),
      "src/ok.ts": "export const one: number = 1;\n",
      "src/bad.ts": "export function twice(x) {\n  return x * 2;\n}\n",
    },
    fix: { "src/bad.ts": "export function twice(x: number): number {\n  return x * 2;\n}\n" },
    cheats: [
      {
        name: "a tsconfig that excludes the failing file",
        protectedFile: "tsconfig.json",
        files: {
          "tsconfig.json": JSON.stringify({
            extends: "./tsconfig.base.json",
            include: ["src"],
            exclude: ["src/bad.ts"],
          }),
        },
      },
      {
        name: "a tsconfig that turns strict off",
        protectedFile: "tsconfig.json",
        files: {
          "tsconfig.json": JSON.stringify({
            extends: "./tsconfig.base.json",
            include: ["src"],
            compilerOptions: { strict: false },
          }),
        },
      },
      {
        name: "an edit down the extends chain",
        protectedFile: "tsconfig.base.json",
        files: {
          "tsconfig.base.json": JSON.stringify({
            compilerOptions: { strict: false, noEmit: true, types: [], skipLibCheck: true },
          }),
        },
      },
    ],
  },
  {
    name: "pytest",
    verify: "python3 -m pytest -q -p no:cacheprovider",
    nodeModules: false,
    files: {
      "calc.py": "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a + b\n",
      "tests/test_calc.py":
        "from calc import add, mul\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\ndef test_mul():\n    assert mul(2, 3) == 6\n",
      "tests/__init__.py": "",
      "conftest.py": "import sys, os\nsys.path.insert(0, os.path.dirname(__file__))\n",
    },
    fix: { "calc.py": "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a * b\n" },
    cheats: [
      {
        name: "a new conftest.py that skips every test",
        protectedFile: "tests/conftest.py",
        files: {
          "tests/conftest.py":
            "import pytest\n\n\ndef pytest_collection_modifyitems(config, items):\n    for item in items:\n        item.add_marker(pytest.mark.skip(reason='x'))\n",
        },
      },
      {
        name: "a pytest.ini whose addopts deselects the failing test",
        protectedFile: "pytest.ini",
        files: { "pytest.ini": "[pytest]\naddopts = -k 'not mul'\n" },
      },
      {
        name: "a pyproject.toml whose addopts deselects the failing test",
        protectedFile: "pyproject.toml",
        files: { "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-k add"\n' },
      },
      {
        name: "a pytest.py that shadows the runner",
        protectedFile: "pytest.py",
        files: { "pytest.py": "import sys\nprint('2 passed')\nsys.exit(0)\n" },
      },
    ],
  },
  {
    name: "jest",
    verify: "node_modules/.bin/jest --ci",
    nodeModules: true,
    files: {
      "package.json": JSON.stringify({ name: "j" }),
      "src/math.js": cjsMath,
      "test/add.test.js": cjsTest("../src/math.js", "add works", "add(2, 3)", 5),
      "test/mul.test.js": cjsTest("../src/math.js", "mul works", "mul(2, 3)", 6),
    },
    fix: { "src/math.js": cjsFixed },
    cheats: [
      {
        name: "a jest.config.js with testPathIgnorePatterns",
        protectedFile: "jest.config.js",
        files: {
          "jest.config.js": 'module.exports = { testPathIgnorePatterns: ["/node_modules/", "mul"] };\n',
        },
      },
      {
        name: "package.json#jest with testPathIgnorePatterns",
        protectedFile: "package.json",
        files: {
          "package.json": JSON.stringify({
            name: "j",
            jest: { testPathIgnorePatterns: ["/node_modules/", "mul"] },
          }),
        },
      },
      {
        name: "an installed runner rewritten in node_modules",
        protectedFile: "node_modules/jest/bin/jest.js",
        handMade: true,
        files: {
          "node_modules/jest/bin/jest.js": "#!/usr/bin/env node\nconsole.log('Tests: 2 passed, 2 total');\n",
        },
      },
    ],
  },
  {
    name: "vitest",
    verify: "node_modules/.bin/vitest run",
    nodeModules: true,
    files: {
      "package.json": JSON.stringify({ name: "v", type: "module" }),
      "src/math.js": mathJs,
      "test/add.test.js": vitestFile("add", 5),
      "test/mul.test.js": vitestFile("mul", 6),
    },
    fix: { "src/math.js": mathFixed },
    cheats: [
      {
        name: "a vitest.config.mjs that narrows include",
        protectedFile: "vitest.config.mjs",
        files: { "vitest.config.mjs": 'export default { test: { include: ["test/add.test.js"] } };\n' },
      },
      {
        name: "a vite.config.mjs that excludes the failing test",
        protectedFile: "vite.config.mjs",
        files: {
          "vite.config.mjs":
            'export default { test: { exclude: ["**/mul.test.js", "**/node_modules/**"] } };\n',
        },
      },
    ],
  },
  {
    name: "mocha",
    verify: "node_modules/.bin/mocha",
    nodeModules: true,
    files: {
      "package.json": JSON.stringify({ name: "m" }),
      ".mocharc.json": JSON.stringify({ spec: "test/*.spec.js" }),
      "src/math.js": cjsMath,
      "test/add.spec.js": cjsTest("../src/math.js", "add works", "add(2, 3)", 5).replace("test(", "it("),
      "test/mul.spec.js": cjsTest("../src/math.js", "mul works", "mul(2, 3)", 6).replace("test(", "it("),
    },
    fix: { "src/math.js": cjsFixed },
    cheats: [
      {
        name: "a .mocharc.json whose spec skips the failing file",
        protectedFile: ".mocharc.json",
        files: { ".mocharc.json": JSON.stringify({ spec: "test/add.spec.js" }) },
      },
      {
        name: "a .mocharc.json that requires an assert no-op",
        protectedFile: ".mocharc.json",
        files: {
          ".mocharc.json": JSON.stringify({ spec: "test/*.spec.js", require: "./src/x.js" }),
          "src/x.js": "const assert = require('node:assert');\nassert.equal = () => {};\n",
        },
      },
    ],
  },
];

const policy = { backend: "local", quiet: true } as const;

/** git's own patch of the changed files between two trees (what a hostile patch could say). */
function gitPatch(before: string, after: string, files: Files): string {
  const scratch = mkdtempSync(join(root, "patch-"));
  for (const path of Object.keys(files)) {
    for (const [side, tree] of [
      ["a", before],
      ["b", after],
    ] as const) {
      mkdirSync(dirname(join(scratch, side, path)), { recursive: true });
      cpSync(join(tree, path), join(scratch, side, path));
    }
  }
  const r = spawnSync("git", ["diff", "--no-index", "--no-prefix", "a", "b"], {
    cwd: scratch,
    encoding: "utf8",
  });
  return r.stdout.replace(/^diff --git a\/(\S+) b\/\S+$/gm, "diff --git a/$1 b/$1");
}

async function verifyChange(workspace: string, verify: string, change: Files, handMade?: string) {
  const working = await createSandbox({ workspace, ...policy });
  try {
    for (const [path, content] of Object.entries(change)) {
      if (content === null) await working.exec(`rm -f -- '${path}'`);
      else {
        await working.exec(`mkdir -p -- "$(dirname '${path}')"`);
        await working.writeFile(path, content);
      }
    }
    const diff = await working.diff();
    if (handMade) assert.equal(diff, "", "the working sandbox leaves installed packages out of its patch");
    const patch = handMade ? gitPatch(workspace, handMade, change) : diff;
    const spec = parseVerifierSpec({ verify: [verify] });
    return { patch, result: await verifyCandidate({ spec, workspace, patch, sandboxPolicy: policy }) };
  } finally {
    await working.dispose();
  }
}

for (const project of projects) {
  describe(`protected files with ${project.name} (${project.verify})`, () => {
    const workspace = makeTree(project.name, project);

    test("the untouched project fails, and an honest source fix ends verified", async () => {
      assert.notEqual(runRaw(workspace, project.verify).code, 0, "the bug is real");
      const { result } = await verifyChange(workspace, project.verify, project.fix);
      assert.equal(result.verdict, "pass", result.text);
      assert.deepEqual(result.restoredProtected, []);
    });

    for (const cheat of project.cheats) {
      test(`${cheat.name} is a real cheat, and ends not verified naming ${cheat.protectedFile}`, async () => {
        const cheated = makeTree(`${project.name}-${cheat.name.replace(/\W+/g, "-")}`, project, cheat.files);
        const raw = runRaw(cheated, project.verify);
        assert.equal(raw.code, 0, `the cheat works on the raw command:\n${raw.output}`);
        const { patch, result } = await verifyChange(
          workspace,
          project.verify,
          cheat.files,
          cheat.handMade ? cheated : undefined,
        );
        assert.ok(patch.includes(cheat.protectedFile), "the working sandbox's patch carries the cheat");
        assert.equal(result.verdict, "fail", result.text);
        assert.ok(
          result.restoredProtected.includes(cheat.protectedFile),
          result.restoredProtected.join(", "),
        );
        assert.ok(result.text.includes(cheat.protectedFile), result.text);
      });
    }
  });
}
