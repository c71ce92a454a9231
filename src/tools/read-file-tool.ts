// `read_file`: a file's lines with their numbers, a bounded window at a time. Paths outside
// the workspace (the saved full output of a long shell command lives under /tmp) are read
// through the shell, since the sandbox's file API is confined to the workspace.
import { z } from "zod";
import type { Sandbox } from "../sandbox/index.ts";
import { shellQuote } from "../util/index.ts";
import { defineTool, errorResult } from "./define-tool.ts";
import { numberLines } from "./format-text.ts";
import type { Tool } from "./types.ts";
import { isInsideWorkspace, resolveToolPath } from "./workspace-path.ts";

const maxLinesShown = 1500;
const maxCharsShown = 60_000;
const maxLineChars = 1000;

export function createReadFileTool(): Tool {
  return defineTool({
    name: "read_file",
    description:
      "Read a text file with line numbers (number, tab, line). Paths are relative to the workspace root. " +
      `At most ${maxLinesShown} lines come back per call; use startLine/endLine (1-based, inclusive) to read ` +
      "a window of a long file. The numbers are not part of the file: never copy them into edit_file.",
    schema: z.strictObject({
      path: z.string().min(1).describe("File path, relative to the workspace root (or absolute)."),
      startLine: z.number().int().min(1).optional().describe("First line to show (1-based)."),
      endLine: z.number().int().min(1).optional().describe("Last line to show (inclusive)."),
    }),
    async run({ path, startLine, endLine }, context) {
      if (startLine !== undefined && endLine !== undefined && endLine < startLine)
        return errorResult(`endLine (${endLine}) is before startLine (${startLine}).`);
      const loaded = await loadText(context.sandbox, path);
      if (typeof loaded !== "string") return loaded.error;
      const lines = loaded.split("\n");
      if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
      const total = lines.length;
      if (total === 0 || loaded.length === 0)
        return { content: `${path} is empty (0 lines).`, isError: false };
      const first = startLine ?? 1;
      if (first > total)
        return errorResult(`${path} has ${total} lines; startLine ${first} is past the end.`);
      let last = Math.min(endLine ?? total, total, first + maxLinesShown - 1);
      // Also bound by characters, so a file of a few huge lines cannot flood the context.
      let chars = 0;
      for (let i = first - 1; i < last; i++) {
        chars += Math.min(lines[i]!.length, maxLineChars) + 8;
        if (chars > maxCharsShown && i > first - 1) {
          last = i;
          break;
        }
      }
      const shown = lines
        .slice(first - 1, last)
        .map((line) =>
          line.length > maxLineChars
            ? `${line.slice(0, maxLineChars)}… [${line.length - maxLineChars} more characters on this line]`
            : line,
        );
      const whole = first === 1 && last === total;
      const header = whole ? `${path} (${total} lines)` : `${path} (lines ${first}–${last} of ${total})`;
      const more =
        last < total && endLine !== last
          ? `\n[${total - last} more lines; continue with startLine ${last + 1}]`
          : "";
      return {
        content: `${header}\n${numberLines(shown, first)}${more}`,
        isError: false,
        data: { path, totalLines: total, startLine: first, endLine: last },
      };
    },
  });
}

type Loaded = string | { error: ReturnType<typeof errorResult> };

async function loadText(sandbox: Sandbox, path: string): Promise<Loaded> {
  let bytes: Uint8Array;
  if (isInsideWorkspace(sandbox, path)) {
    try {
      bytes = await sandbox.readFile(resolveToolPath(sandbox, path));
    } catch (error) {
      return { error: errorResult(describeReadError(path, error)) };
    }
  } else {
    const result = await sandbox.exec(`cat -- ${shellQuote(path)}`, { timeoutMs: 30_000 });
    if (result.exitCode !== 0) return { error: errorResult(`cannot read ${path}: ${result.stderr.trim()}`) };
    bytes = new TextEncoder().encode(result.stdout);
  }
  if (bytes.subarray(0, 8192).includes(0))
    return {
      error: errorResult(`${path} is a binary file (${bytes.length} bytes); it is not shown as text.`),
    };
  return new TextDecoder().decode(bytes);
}

export function describeReadError(path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return `${path} does not exist. Use list or search to find the right path.`;
  if (code === "EISDIR") return `${path} is a directory; use list to see what it holds.`;
  return `cannot read ${path}: ${(error as Error).message}`;
}
