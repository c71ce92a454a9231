// `--max-cost` as a user meets it: a cap on a model nobody priced is refused before anything
// starts (exit 2, with the fix in the message); a priced one is accepted.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { startLoopbackOpenAIServer } from "../model/testing/loopback-openai-server.ts";

const cli = fileURLToPath(new URL("../../bin/closedloop.mjs", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "closedloop-cost-cli-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function cliArgs(workspace: string, model: string, extra: string[]) {
  const runsDir = join(workspace, "runs");
  const verify = "test -f fixed.txt";
  const args = [cli, "run", "fix it", "--verify", verify, "--model", model, "--workspace", workspace];
  return { args: [...args, "--runs-dir", runsDir, "--plain", ...extra], runsDir };
}

function run(workspace: string, model: string, extra: string[] = []) {
  const { args, runsDir } = cliArgs(workspace, model, extra);
  const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, runsDir };
}

/** Async, so the loopback server in this process can answer the child. */
function runAsync(workspace: string, model: string, extra: string[] = []) {
  const { args, runsDir } = cliArgs(workspace, model, extra);
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  return new Promise<{ code: number | null; out: string; err: string; runsDir: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, out, err, runsDir })),
  );
}

// Port 9 (discard) on loopback: nothing listens, and nothing must be sent there anyway.
const unpriced = "openai-compatible:http://127.0.0.1:9/v1#house-model";

test("--max-cost 1 with a model whose price is unknown exits 2 and says how to give a price", () => {
  const workspace = mkdtempSync(join(scratch, "ws-"));
  const r = run(workspace, unpriced, ["--max-cost", "1"]);
  assert.equal(r.code, 2, r.out + r.err);
  assert.match(
    r.err,
    /--max-cost 1 needs the price of openai-compatible:http:\/\/127\.0\.0\.1:9\/v1#house-model/,
  );
  assert.match(r.err, /closedloop\.config\.json/);
  assert.match(r.err, /"prices":\{"openai-compatible:http:\/\/127\.0\.0\.1:9\/v1#house-model":\{"input":/);
  assert.equal(existsSync(r.runsDir), false, "no run was started");
});

test("the same model with its price in closedloop.config.json starts, and is billed at that price", async () => {
  const server = await startLoopbackOpenAIServer([
    { type: "stream", text: ["Looking."], usage: { inputTokens: 1_000, outputTokens: 10 } },
    { type: "error", status: 400, message: "no more replies in this test" },
  ]);
  try {
    const model = `openai-compatible:${server.baseURL}#house-model`;
    const workspace = mkdtempSync(join(scratch, "ws-"));
    writeFileSync(
      join(workspace, "closedloop.config.json"),
      JSON.stringify({ prices: { [model]: { input: 0.5, output: 1 } } }),
    );
    const r = await runAsync(workspace, model, ["--max-cost", "1", "--sandbox", "process"]);
    assert.equal(r.code, 1, r.out + r.err);
    assert.doesNotMatch(r.err, /needs the price/);
    assert.ok(server.requests.length >= 1, "the model was called");
    const [id] = readdirSync(r.runsDir).filter((n) => n !== "index.jsonl");
    const report = JSON.parse(readFileSync(join(r.runsDir, id!, "report.json"), "utf8"));
    assert.ok(Math.abs(report.costUsd - (1_000 * 0.5 + 10 * 1) / 1_000_000) < 1e-12, String(report.costUsd));
  } finally {
    await server.close();
  }
});
