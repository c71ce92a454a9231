// Runs the real CLI (`node bin/closedloop.mjs sandbox …`) with the process backend; the local
// backend goes through the same code once it is available.
import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parseSandboxArgs } from "./sandbox-command.ts";

const bin = new URL("../../bin/closedloop.mjs", import.meta.url).pathname;
const workspace = mkdtempSync(join(tmpdir(), "closedloop-cli-sandbox-"));
writeFileSync(join(workspace, "hello.txt"), "hello\n");
mkdirSync(join(workspace, "sub"));
after(() => rmSync(workspace, { recursive: true, force: true }));

function cli(args: string[], opts: { input?: string; env?: Record<string, string>; cwd?: string } = {}) {
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, [bin, "sandbox", ...args], {
    cwd: opts.cwd ?? workspace,
    input: opts.input ?? "",
    encoding: "utf8",
    env: { ...process.env, ...opts.env },
    timeout: 60_000,
  });
  return r;
}

const proc = ["--sandbox", "process"];

test("the command's exit code and output pass through, with the no-isolation warning on stderr", () => {
  const r = cli([...proc, "--", "echo out; echo err >&2; exit 7"]);
  assert.equal(r.status, 7);
  assert.equal(r.stdout, "out\n");
  assert.match(r.stderr, /err\n/);
  assert.match(r.stderr, /--sandbox process gives NO isolation/);
});

test("several words after -- are quoted as given, and the default workspace is the current directory", () => {
  const r = cli([...proc, "--", "printf", "%s|", "a b", "it's", "$HOME"], { cwd: join(workspace, "sub") });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "a b|it's|$HOME|");
  const ls = cli([...proc, "--workspace", workspace, "--", "cat hello.txt"], { cwd: tmpdir() });
  assert.equal(ls.stdout, "hello\n");
});

test("a command killed by a signal exits with 128 plus the signal number", () => {
  assert.equal(cli([...proc, "--", "kill -TERM $$"]).status, 143);
  assert.equal(cli([...proc, "--", "kill -KILL $$"]).status, 137);
});

test("--timeout kills a hung command and says so", () => {
  const started = Date.now();
  const r = cli([...proc, "--timeout", "500ms", "--", "sleep 100"]);
  assert.equal(r.status, 143);
  assert.match(
    r.stderr,
    /timeout and was killed; the time limit is 500 ms per command; raise it with --timeout 1s\n/,
  );
  assert.ok(Date.now() - started < 20_000);
});

test("a command that fills the local sandbox's disk budget is told so, with the flag that raises it", () => {
  const fill = "for i in $(seq 1 10); do head -c 1000000 /dev/zero > f$i || exit 1; done";
  const r = cli(["--disk", "8m", "--", fill]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(
    r.stderr,
    /closedloop sandbox: it filled the sandbox's disk budget \(8 MiB for changed files, \/tmp and HOME\); raise it with --disk 16m\n/,
  );
  const fine = cli(["--disk", "8m", "--", "echo ok > f"]);
  assert.equal(fine.status, 0, fine.stderr);
  assert.doesNotMatch(fine.stderr, /limit|budget/);
});

test("stdin piped by a shell reaches the command", () => {
  const script = `printf 'shout\\n' | "$0" "$1" sandbox --sandbox process -- tr a-z A-Z`;
  const r = spawnSync("/bin/sh", ["-c", script, process.execPath, bin], { cwd: workspace, encoding: "utf8" });
  assert.equal(r.stdout, "SHOUT\n");
});

test("--env passes a named variable through while other host variables stay out", () => {
  const env = { CLI_PASSED: "yes-passed", CLI_SECRET: "no-secret" };
  const r = cli([...proc, "--env", "CLI_PASSED", "--", 'echo "$CLI_PASSED/$CLI_SECRET"'], { env });
  assert.equal(r.stdout, "yes-passed/\n");
});

test("--diff prints the patch of what the command changed and the workspace stays as it was", () => {
  const r = cli([...proc, "--diff", "--", "echo world >> hello.txt && echo new > new.txt"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^diff --git a\/hello\.txt b\/hello\.txt$/m);
  assert.match(r.stdout, /^\+world$/m);
  assert.match(r.stdout, /^diff --git a\/new\.txt b\/new\.txt\nnew file mode 100644$/m);
  assert.equal(readFileSync(join(workspace, "hello.txt"), "utf8"), "hello\n");
  const none = cli([...proc, "--diff", "--", "true"]);
  assert.equal(none.stdout, "");
  assert.match(none.stderr, /changed nothing/);
});

test("bad flags exit 2 with a one-line message", () => {
  const cases: [string[], RegExp][] = [
    [["--bogus", "--", "true"], /unknown flag --bogus/],
    [["--memroy", "1g", "--", "true"], /unknown flag --memroy — did you mean --memory\?/],
    [["--sandbox", "docker", "--", "true"], /--sandbox 'docker': choose local \(isolated\) or process/],
    [["--memory", "lots", "--", "true"], /--memory 'lots' is not a size/],
    [["--timeout", "soon", "--", "true"], /--timeout 'soon' is not a duration/],
    [["--allow-host-port", "99999", "--", "true"], /not a TCP port/],
    [["--env", "A-B", "--", "true"], /--env takes a variable name/],
    [["--sandbox", "process"], /give the command to run after --/],
    [["--sandbox", "process", "--workspace", "/nonexistent-dir-x", "--", "true"], /is not a directory/],
  ];
  for (const [args, message] of cases) {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1, `one line for ${args.join(" ")}: ${r.stderr}`);
  }
});

test("options become the sandbox policy", () => {
  const options = parseSandboxArgs(
    [
      "--workspace",
      "proj",
      "--allow-net",
      "registry.npmjs.org",
      "--allow-net",
      "*.github.com",
      "--allow-host-port",
      "5432",
      "--env",
      "DATABASE_URL",
      "--memory",
      "512m",
      "--timeout",
      "30s",
      "--",
      "npm test",
    ],
    "/home/u",
  );
  assert.deepEqual(options, {
    workspace: "/home/u/proj",
    backend: "local",
    allowNet: ["registry.npmjs.org", "*.github.com"],
    allowHostPorts: [5432],
    env: ["DATABASE_URL"],
    limits: { memoryBytes: 512 * 1024 ** 2, timeoutMs: 30_000 },
    diff: false,
    command: "npm test",
  });
  assert.equal(parseSandboxArgs(["--help"], "/"), "help");
});
