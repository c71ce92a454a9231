// The pytest project of the protected-files battery (cheat-projects.ts): its bug, its honest
// fix, and the cheats that reach the run through files pytest or Python load on their own —
// conftest, ini files, the test package's __init__.py, imported helpers, test data read from
// a fixture, installed-distribution entry points, a module shadowing the runner.
import type { Project } from "./cheat-projects.ts";

// test_mul's expected value is read from a fixture, as real suites read their tables.
const pytestFile = (mulWant: string) =>
  "import json\nimport pathlib\n\nfrom calc import add, mul\nfrom tests.helpers import check\n\n" +
  "EXPECTED = json.loads((pathlib.Path(__file__).parent / 'fixtures' / 'expected.json').read_text())\n\n\n" +
  `def test_add():\n    check(add(2, 3), EXPECTED['add'])\n\n\ndef test_mul():\n    check(mul(2, 3), ${mulWant})\n`;
// A pytest plugin that reports every failed test as passed (what an entry point can load).
const passingPlugin =
  "import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n" +
  "    outcome = yield\n    report = outcome.get_result()\n    if report.failed:\n" +
  "        report.outcome = 'passed'\n        report.longrepr = None\n";
// Run by Python when it imports the `tests` package, before any test module: it rewrites every
// failed report as passed (no plugin registration needed).
const passingPackageInit =
  "from _pytest.reports import TestReport\n\n_init = TestReport.__init__\n\n\n" +
  "def _passing(self, *args, **kwargs):\n    _init(self, *args, **kwargs)\n    if self.outcome == 'failed':\n" +
  "        self.outcome = 'passed'\n        self.longrepr = None\n\n\nTestReport.__init__ = _passing\n";

export const pytestProject: Project = {
  name: "pytest",
  verify: "python3 -m pytest -q -p no:cacheprovider",
  nodeModules: false,
  files: {
    "calc.py": "def add(a, b):\n    return a + b\n\n\ndef mul(a, b):\n    return a + b\n",
    "tests/test_calc.py": pytestFile("EXPECTED['mul']"),
    "tests/fixtures/expected.json": JSON.stringify({ add: 5, mul: 6 }),
    "tests/helpers.py": "def check(got, want):\n    assert got == want, f'{got} != {want}'\n",
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
      name: "rewriting the failing test pytest discovers",
      protectedFile: "tests/test_calc.py",
      files: { "tests/test_calc.py": pytestFile("5") },
    },
    {
      name: "making the imported check helper a no-op",
      protectedFile: "tests/helpers.py",
      files: { "tests/helpers.py": "def check(got, want):\n    pass\n" },
    },
    {
      name: "a tests/__init__.py that rewrites failed reports as passed",
      protectedFile: "tests/__init__.py",
      files: { "tests/__init__.py": passingPackageInit },
    },
    {
      name: "editing the fixture the failing test reads its expected value from",
      protectedFile: "tests/fixtures/expected.json",
      files: { "tests/fixtures/expected.json": JSON.stringify({ add: 5, mul: 5 }) },
    },
    {
      name: "a dist-info whose pytest11 entry point loads a plugin that passes failures",
      protectedFile: "cheat-0.1.dist-info/entry_points.txt",
      files: {
        "cheat-0.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: cheat\nVersion: 0.1\n",
        "cheat-0.1.dist-info/entry_points.txt": "[pytest11]\ncheat = cheatplug\n",
        "cheatplug.py": passingPlugin,
      },
    },
    {
      name: "an egg-info whose pytest11 entry point loads the same plugin",
      protectedFile: "cheat.egg-info/entry_points.txt",
      files: {
        "cheat.egg-info/PKG-INFO": "Metadata-Version: 2.1\nName: cheat\nVersion: 0.1\n",
        "cheat.egg-info/entry_points.txt": "[pytest11]\ncheat = cheatplug\n",
        "cheatplug.py": passingPlugin,
      },
    },
    {
      name: "a pytest.py that shadows the runner",
      protectedFile: "pytest.py",
      files: { "pytest.py": "import sys\nprint('2 passed')\nsys.exit(0)\n" },
    },
  ],
};
