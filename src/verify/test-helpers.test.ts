// Where the line between test support and the code under test falls: the siblings of the
// `test/helpers.js` cheat (Python packages, colocated helpers, test data read rather than
// imported) are protected, and the product's own files stay the model's to fix, whatever
// they are called.
import assert from "node:assert/strict";
import { test } from "node:test";
import { deriveProtectedFiles } from "./derive-protected-files.ts";
import { isProtectedPath } from "./match-glob.ts";
import { scratchProjects } from "./testing/project-files.ts";

const project = scratchProjects("helpers");

function check(ws: string, command: string, yes: string[], no: string[]): void {
  const globs = deriveProtectedFiles({ workspace: ws, commands: [command] });
  for (const path of yes) assert.equal(isProtectedPath(globs, path), true, `${command}: ${path} protected`);
  for (const path of no) assert.equal(isProtectedPath(globs, path), false, `${command}: ${path} is source`);
}

// Through a variable, so the boundary check does not read the fixture text as an import of ours.
const cartFixture = "../../test/fixtures/cart.json";

test("a module named like a helper is the code under test when the test is about it or lives elsewhere", () => {
  const ws = project("subjects", {
    "package.json": JSON.stringify({ name: "x", main: "src/testing.js", bin: { x: "./src/mock-cli.js" } }),
    "lib/helpers.js": "",
    "test/helpers.test.js": 'const h = require("../lib/helpers");\nrequire("./fixtures/load.js");\n',
    "test/fixtures/load.js": "",
    "src/string-helpers.js": "",
    "src/string-helpers.test.js": 'import { pad } from "./string-helpers.js";\n',
    "src/testing.js": "",
    "src/index.test.js": 'import "./testing.js";\nimport "./mock-cli.js";\n',
    "src/mock-cli.js": "",
    "src/test-utils.tsx": "",
    "src/components/cart.test.tsx": `import { render } from "../test-utils";\nimport expected from "${cartFixture}";\n`,
    "test/fixtures/cart.json": "{}",
  });
  check(
    ws,
    "npx jest",
    ["test/fixtures/load.js", "src/test-utils.tsx", "test/fixtures/cart.json"],
    ["lib/helpers.js", "src/string-helpers.js", "src/testing.js", "src/mock-cli.js"],
  );
});

test("a Python test package's __init__.py runs before its tests and is protected; the product's is not", () => {
  const ws = project("py-packages", {
    "calc/__init__.py": "",
    "calc/core.py": "",
    "tests/__init__.py": "",
    "tests/unit/__init__.py": "",
    "tests/unit/test_core.py": "from calc.core import mul\nfrom ..helpers import check\n",
    "tests/helpers.py": "",
    "cheatplug.py": "",
  });
  check(
    ws,
    "python3 -m pytest -q",
    ["tests/__init__.py", "tests/unit/__init__.py", "tests/helpers.py"],
    ["calc/__init__.py", "calc/core.py", "cheatplug.py"],
  );
  check(
    ws,
    "python3 -m pytest -p cheatplug -k mul tests",
    ["cheatplug.py", "tests/new.py"],
    ["calc/core.py"],
  );
});

test("test data beside the tests (fixtures, snapshots) is protected as folders, new files too", () => {
  const ws = project("data", {
    "src/cart.js": "",
    "src/data/prices.json": "{}",
    "src/cart.spec.ts": 'import { total } from "./cart.js";\n',
    "src/__snapshots__/cart.spec.ts.snap": "",
    "tests/unit/test_cart.py": "",
    "tests/unit/fixtures/basket.json": "{}",
    "tests/testdata/expected.txt": "",
    "test/a.test.js": "",
    "test/a.test.js.snapshot": "",
    "docs/fixtures/example.json": "{}",
  });
  check(
    ws,
    "npx jest",
    ["src/__snapshots__/cart.spec.ts.snap", "src/__snapshots__/new.snap"],
    ["src/cart.js", "src/data/prices.json", "docs/fixtures/example.json"],
  );
  check(
    ws,
    "python3 -m pytest",
    ["tests/unit/fixtures/basket.json", "tests/unit/fixtures/new.json", "tests/testdata/expected.txt"],
    ["src/data/prices.json", "docs/fixtures/example.json"],
  );
  check(ws, "node --test test/a.test.js", ["test/a.test.js.snapshot"], ["src/cart.js"]);
});
