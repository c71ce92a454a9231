// `edit_file`: exact-string replacement of one occurrence, then the edited region with line
// numbers, so the model sees what it did without another read.
import { z } from "zod";
import { applyExactEdit } from "./apply-exact-edit.ts";
import { defineTool, errorResult } from "./define-tool.ts";
import { numberLines } from "./format-text.ts";
import { describeReadError } from "./read-file-tool.ts";
import type { Tool } from "./types.ts";
import { displayPath, resolveToolPath } from "./workspace-path.ts";

const contextLines = 3;

export function createEditFileTool(): Tool {
  return defineTool({
    name: "edit_file",
    description:
      "Replace one exact occurrence of oldText with newText in a file. oldText must match the file " +
      "character for character (whitespace included) and exactly once; include a few surrounding lines to " +
      "make it unique. Returns the edited region with line numbers. To create a file use write_file.",
    schema: z.strictObject({
      path: z.string().min(1).describe("File path, relative to the workspace root."),
      oldText: z.string().describe("The exact text to replace (must occur exactly once)."),
      newText: z.string().describe("The replacement text."),
    }),
    async run({ path, oldText, newText }, context) {
      const full = resolveToolPath(context.sandbox, path);
      const shown = displayPath(context.sandbox, path);
      const refusal = context.protectedChange?.([shown]);
      if (refusal) return errorResult(`Not edited: ${refusal}`, { problem: "protected", path: shown });
      let bytes: Uint8Array;
      try {
        bytes = await context.sandbox.readFile(full);
      } catch (error) {
        return errorResult(describeReadError(shown, error));
      }
      if (bytes.subarray(0, 8192).includes(0))
        return errorResult(`${shown} is a binary file; edit_file edits text.`);
      const outcome = applyExactEdit(new TextDecoder().decode(bytes), oldText, newText);
      if (!outcome.ok)
        return errorResult(`edit_file ${shown}: ${outcome.message}`, { problem: outcome.problem });
      await context.sandbox.writeFile(full, outcome.text);
      const lines = outcome.text.split("\n");
      const from = Math.max(1, outcome.startLine - contextLines);
      const to = Math.min(lines.length, outcome.endLine + contextLines);
      return {
        content: `Edited ${shown} (lines ${outcome.startLine}–${outcome.endLine} now):\n${numberLines(lines.slice(from - 1, to), from)}`,
        isError: false,
        mutated: true,
        data: { path: shown, startLine: outcome.startLine, endLine: outcome.endLine },
      };
    },
  });
}
