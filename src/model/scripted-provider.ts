// scripted:<file.json> — reads a ModelScript from disk. A script that cannot be read or does
// not have the expected shape is a user error naming the file and the problem.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../util/index.ts";
import type { ModelProvider } from "./model-provider.ts";
import { createScriptedModelClient, type ModelScript } from "./scripted-model.ts";

const example = "scripted:demo/script.json";
const shapeHint = '{"turns": [{"text": "…", "toolCalls": [{"name": "edit_file", "args": {…}}]}, …]}';

function describeProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== "object" || !Array.isArray((value as { turns?: unknown }).turns)) {
    return "it has no `turns` array";
  }
  const turns = (value as { turns: unknown[] }).turns;
  for (const [i, turn] of turns.entries()) {
    if (turn === null || typeof turn !== "object") return `turn ${i + 1} is not an object`;
    const { text, toolCalls } = turn as { text?: unknown; toolCalls?: unknown };
    if (text !== undefined && typeof text !== "string") return `turn ${i + 1}: \`text\` must be a string`;
    if (toolCalls === undefined) continue;
    if (!Array.isArray(toolCalls)) return `turn ${i + 1}: \`toolCalls\` must be an array`;
    for (const [j, call] of toolCalls.entries()) {
      if (!call || typeof call !== "object" || typeof (call as { name?: unknown }).name !== "string") {
        return `turn ${i + 1}, tool call ${j + 1}: needs a string \`name\``;
      }
    }
  }
  return undefined;
}

/** Reads and checks a script file; throws a UserError saying what is wrong. */
export function readModelScript(file: string): ModelScript {
  let text: string;
  try {
    text = readFileSync(resolve(file), "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UserError(
      `cannot read the model script ${file} (${reason}): pass an existing JSON file as ${example}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError(`the model script ${file} is not valid JSON (${(error as Error).message})`);
  }
  const problem = describeProblem(value);
  if (problem) throw new UserError(`the model script ${file} does not look like ${shapeHint}: ${problem}`);
  return value as ModelScript;
}

export const scriptedProvider: ModelProvider = {
  name: "scripted",
  idExample: example,
  defaultContextWindow: 200_000,
  parseTarget(target) {
    if (target.trim() === "")
      throw new UserError(`a scripted model id names its script file: write it like ${example}`);
    return { model: target };
  },
  canonicalTarget: (target) => resolve(target),
  createClient(id, options) {
    return createScriptedModelClient(readModelScript(id.model), {
      id: id.id,
      ...(options.startAtTurn !== undefined ? { startAtTurn: options.startAtTurn } : {}),
    });
  },
};
