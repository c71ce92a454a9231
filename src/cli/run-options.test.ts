import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { UserError } from "../util/index.ts";
import { parseRunOptions, runFlags, runUsage } from "./run-options.ts";

const workspace = mkdtempSync(join(tmpdir(), "closedloop-options-"));
after(() => rmSync(workspace, { recursive: true, force: true }));

test("flags override closedloop.config.json, which fills in what the flags leave out", () => {
  writeFileSync(
    join(workspace, "closedloop.config.json"),
    JSON.stringify({ verify: ["npm test"], protect: ["test/**"], model: "ollama:qwen3-coder", maxSteps: 12 }),
  );
  const options = parseRunOptions([
    "fix it",
    "--workspace",
    workspace,
    "--max-steps",
    "5",
    "--max-cost",
    "0.5",
    "--max-time",
    "2m",
    "--json",
  ]);
  assert.ok(options !== "help");
  assert.deepEqual(options.verify, ["npm test"]);
  assert.deepEqual(options.protect, ["test/**"]);
  assert.equal(options.model, "ollama:qwen3-coder");
  assert.equal(options.maxSteps, 5);
  assert.equal(options.maxCostUsd, 0.5);
  assert.equal(options.maxTimeMs, 120_000);
  assert.equal(options.output, "json");
  assert.equal(options.sandbox, "local", "the isolated backend is the default");
});

test("usage mistakes are user errors that say what to do", () => {
  assert.throws(() => parseRunOptions(["--verify", "x", "--workspace", workspace]), /no task given/);
  assert.throws(
    () => parseRunOptions(["t", "--sandbox", "docker", "--workspace", workspace]),
    /choose local/,
  );
  assert.throws(
    () => parseRunOptions(["t", "--apply", "--branch", "b", "--workspace", workspace]),
    /alternatives/,
  );
  assert.throws(
    () => parseRunOptions(["t", "--max-steps", "0", "--workspace", workspace]),
    /positive whole number/,
  );
  assert.throws(
    () => parseRunOptions(["t", "--bogus"]),
    (e) => UserError.isInstance(e) && /bogus/.test(e.message),
  );
});

function withConfig(config: unknown): void {
  writeFileSync(join(workspace, "closedloop.config.json"), JSON.stringify(config));
}

test("the sandbox's knobs come from flags or the config, read by the same parsers as `sandbox`", () => {
  withConfig({ memory: "4g", cpus: 2, timeout: "5m", env: ["DATABASE_URL"], allowHostPorts: [5432] });
  const options = parseRunOptions([
    "t",
    "--workspace",
    workspace,
    "--disk",
    "8g",
    "--verify-timeout",
    "1m30s",
  ]);
  assert.ok(options !== "help");
  assert.deepEqual(options.limits, {
    memoryBytes: 4 * 1024 ** 3,
    diskBytes: 8 * 1024 ** 3,
    timeoutMs: 300_000,
    cpuCores: 2,
  });
  assert.equal(options.verifyTimeoutMs, 90_000);
  assert.deepEqual(options.env, ["DATABASE_URL"]);
  assert.deepEqual(options.allowHostPorts, [5432]);
  const flagged = parseRunOptions(["t", "--workspace", workspace, "--memory", "512m", "--cpus", "0.5"]);
  assert.ok(flagged !== "help");
  assert.equal(flagged.limits.memoryBytes, 512 * 1024 ** 2, "a flag beats the config");
  assert.equal(flagged.limits.cpuCores, 0.5);
});

test("a bad value from the config names the config key, one from a flag names the flag", () => {
  withConfig({ memory: "lots" });
  assert.throws(
    () => parseRunOptions(["t", "--workspace", workspace]),
    /^UserError: "memory" in closedloop.config.json 'lots' is not a size/,
  );
  withConfig({ maxSteps: -3 });
  assert.throws(
    () => parseRunOptions(["t", "--workspace", workspace]),
    /"maxSteps" in closedloop.config.json/,
  );
  withConfig({});
  assert.throws(
    () => parseRunOptions(["t", "--workspace", workspace, "--verify-timeout", "soon"]),
    /--verify-timeout 'soon' is not a duration/,
  );
  assert.throws(() => parseRunOptions(["t", "--workspace", workspace, "--cpus", "many"]), /--cpus 'many'/);
});

test("an unknown config key is an error that suggests the nearest known key", () => {
  withConfig({ maxStep: 5 });
  assert.throws(
    () => parseRunOptions(["t", "--workspace", workspace]),
    /unknown key "maxStep" — did you mean "maxSteps"\?/,
  );
  withConfig(["npm test"]);
  assert.throws(() => parseRunOptions(["t", "--workspace", workspace]), /must hold a JSON object/);
  rmSync(join(workspace, "closedloop.config.json"));
});

test("an unknown flag gets the nearest known one", () => {
  assert.throws(
    () => parseRunOptions(["t", "--max-step", "3"]),
    /unknown flag --max-step — did you mean --max-steps\?/,
  );
  assert.throws(() => parseRunOptions(["t", "--verfy", "x"]), /did you mean --verify\?/);
  assert.throws(
    () => parseRunOptions(["t", "--zzzzzzzz"]),
    (e) => UserError.isInstance(e) && !/did you mean/.test(e.message),
  );
});

test("run --help lists every flag the parser accepts", () => {
  for (const name of Object.keys(runFlags)) assert.match(runUsage, new RegExp(`--${name}\\b`), name);
  assert.match(runUsage, /--system-prompt FILE/);
  assert.match(runUsage, /--memory SIZE/);
});

test("the runs folder belongs to the workspace, and --allow-edit is read from flags", () => {
  const other = mkdtempSync(join(tmpdir(), "closedloop-options-ws-"));
  try {
    const options = parseRunOptions([
      "t",
      "--verify",
      "x",
      "--workspace",
      other,
      "--allow-edit",
      "package.json",
    ]);
    assert.ok(options !== "help");
    assert.equal(options.runsDir, join(other, ".closedloop", "runs"));
    assert.deepEqual(options.allowEdit, ["package.json"]);
  } finally {
    rmSync(other, { recursive: true, force: true });
  }
});
