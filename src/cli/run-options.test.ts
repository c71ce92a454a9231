import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { UserError } from "../util/index.ts";
import { parseDuration, parseRunOptions } from "./run-options.ts";

const workspace = mkdtempSync(join(tmpdir(), "closedloop-options-"));
after(() => rmSync(workspace, { recursive: true, force: true }));

test("durations are read in ms, s, m and h, bare numbers as seconds", () => {
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("10m"), 600_000);
  assert.equal(parseDuration("1.5h"), 5_400_000);
  assert.equal(parseDuration("30"), 30_000);
  assert.throws(() => parseDuration("soon"), UserError);
});

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
