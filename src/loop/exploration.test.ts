// A real agent in a real repository reads a lot before it edits: twenty files in a row is
// exploration, not a stall. A 25-step scripted run that reads 20 distinct files (and lists and
// searches) before fixing is never nudged, rolled back or stopped, and ends verified.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createScriptedModelClient, type ScriptedTurn } from "../model/index.ts";
import { createToolset } from "../tools/index.ts";
import { defaultStallThresholds, type LoopEvent, runLoop } from "./index.ts";
import { createMemoryWorkspace } from "./testing/memory-workspace.ts";

const files: Record<string, string> = { "src/add.js": "export const add = (a, b) => a - b; // BUG\n" };
for (let i = 0; i < 20; i++) files[`src/module-${i}.js`] = `export const value${i} = ${i};\n`;
const bugs = (tree: Map<string, string>) =>
  [...tree].flatMap(([name, text]) => (text.includes("BUG") ? [name] : []));

test("a 25-step run that explores 20 distinct files before fixing is never called stalled", async () => {
  const turns: ScriptedTurn[] = [
    { toolCalls: [{ name: "list", args: {} }] },
    { toolCalls: [{ name: "search", args: { pattern: "add" } }] },
    ...Array.from({ length: 20 }, (_, i) => ({
      toolCalls: [{ name: "read_file", args: { path: `src/module-${i}.js` } }],
    })),
    { toolCalls: [{ name: "read_file", args: { path: "src/add.js" } }] },
    {
      toolCalls: [
        { name: "edit_file", args: { path: "src/add.js", oldText: "a - b; // BUG", newText: "a + b;" } },
      ],
    },
    { toolCalls: [{ name: "done", args: { summary: "add adds" } }] },
  ];
  assert.equal(turns.length, 25);
  const events: LoopEvent[] = [];
  const result = await runLoop({
    runId: "explore",
    config: {
      task: "fix add",
      workspace: "/memory/workspace",
      model: { id: "scripted:test", label: "scripted (no LLM)", contextWindow: 200_000 },
      verify: { commands: ["check"], protect: [], hidden: 0 },
      budgets: { maxSteps: 30 },
      launch: {},
    },
    model: createScriptedModelClient({ turns }),
    tools: createToolset(),
    env: createMemoryWorkspace(files, bugs),
    systemPrompt: "system prompt",
    stallThresholds: defaultStallThresholds,
    onEvent: (event) => events.push(event),
  });
  const reads = events.filter((e) => e.type === "tool.call" && e.call.name === "read_file").length;
  assert.equal(reads, 21);
  assert.deepEqual(
    events.filter((e) => e.type === "stall.detected" || e.type === "checkpoint.restored"),
    [],
  );
  assert.equal(result.outcome, "verified");
  assert.equal(result.steps, 25);
});
