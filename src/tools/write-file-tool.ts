// `write_file`: create or overwrite a whole file; parent directories are created.
import { posix } from "node:path";
import { z } from "zod";
import { shellQuote } from "../util/index.ts";
import { defineTool, errorResult } from "./define-tool.ts";
import type { Tool } from "./types.ts";
import { displayPath, resolveToolPath } from "./workspace-path.ts";

export function createWriteFileTool(): Tool {
  return defineTool({
    name: "write_file",
    description:
      "Create a file or replace its whole content; missing parent directories are created. " +
      "For a change inside an existing file prefer edit_file.",
    schema: z.strictObject({
      path: z.string().min(1).describe("File path, relative to the workspace root."),
      content: z.string().describe("The complete new content of the file."),
    }),
    async run({ path, content }, context) {
      const { sandbox } = context;
      const full = resolveToolPath(sandbox, path);
      const shown = displayPath(sandbox, path);
      const refusal = context.protectedChange?.([shown]);
      if (refusal) return errorResult(`Not written: ${refusal}`, { problem: "protected", path: shown });
      const existed = await sandbox
        .readFile(full)
        .then(() => true)
        .catch(() => false);
      try {
        await sandbox.writeFile(full, content);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        // The sandbox's writeFile does not promise to create parents; mkdir runs inside it.
        const made = await sandbox.exec(`mkdir -p -- ${shellQuote(posix.dirname(full))}`, {
          timeoutMs: 30_000,
        });
        if (made.exitCode !== 0)
          return errorResult(`cannot create the directory for ${shown}: ${made.stderr.trim()}`);
        await sandbox.writeFile(full, content);
      }
      const lines = content.length === 0 ? 0 : content.split("\n").length - (content.endsWith("\n") ? 1 : 0);
      return {
        content: `${existed ? "Overwrote" : "Created"} ${shown} (${lines} lines, ${Buffer.byteLength(content)} bytes).`,
        isError: false,
        mutated: true,
        data: { path: shown, created: !existed },
      };
    },
  });
}
