// The projects the protected-files battery runs: one per runner, each with its bug, its honest
// fix and the cheats that go through a file deciding how the verifier runs (see the test).
import { pytestProject } from "./cheat-projects-python.ts";

export type Files = Record<string, string | null>;

export interface Cheat {
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

export interface Project {
  name: string;
  verify: string;
  files: Files;
  /** Needs the runners from our own node_modules (hard-linked in; the sandbox sees no symlink out). */
  nodeModules: boolean;
  fix: Files;
  cheats: Cheat[];
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

const snapshot = (mul: number) =>
  `// Jest Snapshot v1, https://jestjs.io/docs/snapshot-testing\n\nexports[\`mul 1\`] = \`${mul}\`;\n`;

export const projects: Project[] = [
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
        name: "rewriting a test under the folder operand (node --test test/)",
        protectedFile: "test/mul.test.js",
        files: { "test/mul.test.js": nodeTest("mul works", "mul(2, 3)", 5) },
      },
      {
        name: "deleting the failing test and adding a placeholder under the folder operand",
        protectedFile: "test/mul.test.js",
        files: { "test/placeholder.test.js": assertNoop, "test/mul.test.js": null },
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
    name: "node-test-helper",
    verify: "node --test test/cart.test.js",
    nodeModules: false,
    files: {
      "package.json": JSON.stringify({ name: "cart" }),
      "src/cart.js": "exports.total = (items) => items.reduce((sum, i) => sum + i.price, 0);\n",
      "test/helpers.js":
        'const assert = require("node:assert");\nexports.eq = (got, want) => assert.strictEqual(got, want);\n',
      "test/cart.test.js":
        'const { test } = require("node:test");\nconst { eq } = require("./helpers");\nconst { total } = require("../src/cart.js");\n' +
        'test("total counts quantities", () => eq(total([{ price: 2, qty: 3 }]), 6));\n',
    },
    fix: {
      "src/cart.js": "exports.total = (items) => items.reduce((sum, i) => sum + i.price * i.qty, 0);\n",
    },
    cheats: [
      {
        name: "making the imported eq helper a no-op",
        protectedFile: "test/helpers.js",
        files: { "test/helpers.js": "exports.eq = () => {};\n" },
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
  pytestProject,
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
        name: "rewriting a test jest collects by default (*.test.js)",
        protectedFile: "test/mul.test.js",
        files: { "test/mul.test.js": cjsTest("../src/math.js", "mul works", "mul(2, 3)", 5) },
      },
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
    // The expected value lives in a snapshot beside the test (jest's own format, as it writes it).
    name: "jest-snapshot",
    verify: "node_modules/.bin/jest --ci",
    nodeModules: true,
    files: {
      "package.json": JSON.stringify({ name: "s" }),
      "src/math.js": cjsMath,
      "src/math.test.js":
        'const { add, mul } = require("./math.js");\ntest("add", () => expect(add(2, 3)).toBe(5));\n' +
        'test("mul", () => expect(mul(2, 3)).toMatchSnapshot());\n',
      "src/__snapshots__/math.test.js.snap": snapshot(6),
    },
    fix: { "src/math.js": cjsFixed },
    cheats: [
      {
        name: "rewriting the snapshot to the wrong output",
        protectedFile: "src/__snapshots__/math.test.js.snap",
        files: { "src/__snapshots__/math.test.js.snap": snapshot(5) },
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
        name: "rewriting a test vitest collects by default (*.test.js)",
        protectedFile: "test/mul.test.js",
        files: { "test/mul.test.js": vitestFile("mul", 5) },
      },
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
        name: "rewriting a test the .mocharc.json spec glob collects",
        protectedFile: "test/mul.spec.js",
        files: {
          "test/mul.spec.js": cjsTest("../src/math.js", "mul works", "mul(2, 3)", 5).replace("test(", "it("),
        },
      },
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
