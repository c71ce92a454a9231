// What the protected-file finder knows of verifier commands and runner configs: which
// programs run a script, which flags name a file, where a runner's configuration lives.
// Kept apart from the finder so the vocabulary can grow without the walk growing.

// Programs whose first operand is the script that runs the checks.
export const interpreters = new Set([
  "node",
  "python",
  "python3",
  "sh",
  "bash",
  "zsh",
  "dash",
  "tsx",
  "ts-node",
  "bun",
  "deno",
  "perl",
  "ruby",
]);
// Flags whose value is a file that runs before or configures the checks.
export const fileFlags = new Set([
  "-r",
  "--require",
  "--import",
  "--loader",
  "--experimental-loader",
  "--env-file",
  "-c",
  "--config",
  "-p",
  "--project",
  "--rcfile",
  "--setupFiles",
  "--setup-files",
  "--globalSetup",
  "-f",
  "--file",
  "--makefile",
  "--justfile",
  "--manifest-path",
  "--modfile",
  "--test-reporter",
  "--reporter",
]);
// Test-runner flags whose value is a name or pattern, not a test operand (`-k add`, `-t mul`).
export const valueFlags = new Set([
  "-k",
  "-m",
  "-o",
  "-t",
  "-g",
  "--grep",
  "--testNamePattern",
  "--test-name-pattern",
  "--test-skip-pattern",
  "--deselect",
  "--ignore",
  "--ignore-glob",
  "--rootdir",
  "--confcutdir",
  "--maxfail",
  "--tb",
  "-n",
  "--timeout",
  "--junitxml",
  "--junit-xml",
  "--basetemp",
  "--test-reporter-destination",
  "--test-concurrency",
]);
// package.json keys a runner reads its configuration from.
export const packageRunnerKeys = ["jest", "mocha", "ava", "c8", "nyc", "tap", "vitest", "babel"];
// Keys of runner configs whose values are files run before or around the tests.
export const setupKeys =
  /\b(testMatch|setupFiles|setupFilesAfterEnv|globalSetup|globalTeardown|testEnvironment|snapshotResolver|testSequencer|testRunner|resolver|reporters?|require|import|loader|node-option|file|spec|setup|extends|preset|transform)\b/;

/** Runner configs looked for at the workspace root, JS or JSON. */
export const runnerConfigNames: readonly string[] = [
  ...["jest", "vitest", "vite", "ava", "playwright", "karma", "babel"].flatMap((base) =>
    ["js", "cjs", "mjs", "ts", "mts", "cts", "json"].map((ext) => `${base}.config.${ext}`),
  ),
  ".mocharc",
  ".mocharc.json",
  ".mocharc.jsonc",
  ".mocharc.js",
  ".mocharc.cjs",
  ".mocharc.yml",
  ".mocharc.yaml",
  ".taprc",
  ".c8rc",
  ".c8rc.json",
  ".nycrc",
  ".nycrc.json",
  ".babelrc",
  ".babelrc.json",
  "karma.conf.js",
];
