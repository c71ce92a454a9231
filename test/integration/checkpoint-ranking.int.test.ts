// The best checkpoint is judged by Progress, not by a failing count: a real node:test project
// goes 5 failing → syntax error → 3 → 2 → 1 → syntax error, then stalls; the rollback hands over
// the 1-failing tree, never a syntax error (which a count would have called "1 failure", as good
// as the best and earlier). Real clean rooms (local sandbox), real runner, scripted model.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { type LoopEvent, runLoop } from "../../src/loop/index.ts";
import { createScriptedModelClient, type ScriptedTurn } from "../../src/model/index.ts";
import { createSandbox } from "../../src/sandbox/index.ts";
import { createToolset } from "../../src/tools/index.ts";
import { createWitnessedVerifier, parseVerifierSpec, verifyCandidate } from "../../src/verify/index.ts";

const workspace = mkdtempSync(join(tmpdir(), "closedloop-ranking-"));
after(() => rmSync(workspace, { recursive: true, force: true }));

const names = ["f1", "f2", "f3", "f4", "f5"];
/** src/m.js with the first `fixed` functions right; f(x) must return x + 1. */
const module = (fixed: number) =>
  `${names.map((n, i) => `exports.${n} = (x) => x ${i < fixed ? "+" : "-"} 1;`).join("\n")}\nexports.id = (x) => x;\n`;
const syntaxError = "exports.f1 = (x) => x + ;\n";

mkdirSync(join(workspace, "src"));
mkdirSync(join(workspace, "test"));
writeFileSync(join(workspace, "package.json"), '{ "name": "ranking" }\n');
writeFileSync(join(workspace, "src/m.js"), module(0));
writeFileSync(
  join(workspace, "test/m.test.js"),
  [
    'const assert = require("node:assert");',
    'const { test } = require("node:test");',
    'const m = require("../src/m.js");',
    ...names.map((n) => `test("${n} adds one", () => assert.strictEqual(m.${n}(1), 2));`),
    'test("id keeps", () => assert.strictEqual(m.id(1), 1));',
    'test("id keeps zero", () => assert.strictEqual(m.id(0), 0));',
    "",
  ].join("\n"),
);

const write = (content: string): ScriptedTurn => ({
  toolCalls: [
    { name: "write_file", args: { path: "src/m.js", content } },
    { name: "verify", args: {} },
  ],
});
const verifyAgain: ScriptedTurn = { toolCalls: [{ name: "verify", args: {} }] };

test("5 failing → syntax error → 3 → 2 → 1: the best checkpoint is the 1, and a rollback hands it over", async () => {
  const spec = parseVerifierSpec({ verify: ["node --test test/"], protect: ["test/**"] });
  const policy = { backend: "local" as const, quiet: true };
  const witness = createWitnessedVerifier(
    (patch, previous) =>
      verifyCandidate({ spec, workspace, patch, sandboxPolicy: policy, ...(previous ? { previous } : {}) }),
    { confirm: 0 },
  );
  const sandbox = await createSandbox({ ...policy, workspace });
  const events: LoopEvent[] = [];
  try {
    const result = await runLoop({
      runId: "ranking",
      config: {
        task: "make f1..f5 add one",
        workspace,
        model: { id: "scripted:test", label: "scripted (no LLM)", contextWindow: 200_000 },
        verify: { commands: spec.commands, protect: spec.protect, hidden: 0 },
        budgets: { maxSteps: 20 },
        launch: {},
      },
      model: createScriptedModelClient({
        turns: [
          write(syntaxError),
          write(module(2)),
          write(module(3)),
          write(module(4)),
          write(syntaxError),
          verifyAgain,
          verifyAgain,
          verifyAgain,
          verifyAgain,
        ],
      }),
      tools: createToolset(),
      env: {
        sandbox,
        verify: async (patch, previous, reason) =>
          reason === "baseline" ? (await witness.baseline()).result : witness.verify(patch, previous),
      },
      systemPrompt: "system prompt",
      stallThresholds: { repeat: 100, noChangeSteps: 100, noShrinkRuns: 1, oscillationReturns: 100 },
      onEvent: (event) => events.push(event),
    });
    const verdicts = events.flatMap((e) => (e.type === "verify.verdict" ? [e] : []));
    const byStep = verdicts.map((v) => `${v.progress?.status}:${v.failingCount}`);
    assert.deepEqual(byStep.slice(0, 6), [
      "parsed:5",
      "crashed:1",
      "parsed:3",
      "parsed:2",
      "parsed:1",
      "crashed:1",
    ]);
    // The cheat a count cannot see: the syntax error scores exactly like the best state.
    assert.equal(verdicts[1]!.failingCount, verdicts[4]!.failingCount);
    const restored = events.flatMap((e) => (e.type === "checkpoint.restored" ? [e] : []));
    assert.ok(restored.length > 0, "the stall rolled back");
    for (const r of restored)
      assert.equal(r.fromStep, 4, "every rollback goes to the 1-failing state of step 4");
    assert.equal(result.outcome, "stall");
    assert.match(result.patch, /\+exports\.f4 = \(x\) => x \+ 1;/);
    assert.doesNotMatch(result.patch, /x \+ ;/, "the handed-over patch is not the syntax error");
    assert.match(result.reason, /parsed, 1 failing, 6 passing/);
  } finally {
    await sandbox.dispose();
  }
});
