// `list`: one directory's entries (not recursive), directories marked with a slash.
import { z } from "zod";
import type { DirEntry } from "../sandbox/index.ts";
import { defineTool, errorResult } from "./define-tool.ts";
import { describeReadError } from "./read-file-tool.ts";
import type { Tool } from "./types.ts";
import { displayPath, resolveToolPath } from "./workspace-path.ts";

const maxEntries = 500;

export function createListTool(): Tool {
  return defineTool({
    name: "list",
    description:
      "List the entries of one directory (not recursive): directories end with /, files show their size. " +
      "path is relative to the workspace root (default: the root). Use search to find files by content.",
    schema: z.strictObject({
      path: z.string().min(1).optional().describe("Directory to list, relative to the workspace root."),
    }),
    async run({ path }, context) {
      const { sandbox } = context;
      const shown = displayPath(sandbox, path ?? ".");
      let entries: DirEntry[];
      try {
        entries = await sandbox.list(resolveToolPath(sandbox, path ?? "."));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOTDIR")
          return errorResult(`${shown} is a file, not a directory; use read_file to read it.`);
        return errorResult(describeReadError(shown, error));
      }
      if (entries.length === 0) {
        // Not every backend refuses to list a file (one lists it as empty), so ask once more.
        const isFile = await sandbox
          .readFile(resolveToolPath(sandbox, path ?? "."))
          .then(() => true)
          .catch(() => false);
        if (isFile) return errorResult(`${shown} is a file, not a directory; use read_file to read it.`);
        return { content: `${shown}/ is empty.`, isError: false, data: { entries: 0 } };
      }
      const sorted = [...entries].sort(
        (a, b) => Number(b.type === "dir") - Number(a.type === "dir") || a.name.localeCompare(b.name),
      );
      const lines = sorted.slice(0, maxEntries).map(formatEntry);
      const more =
        entries.length > maxEntries ? `\n[${entries.length - maxEntries} more entries not shown]` : "";
      return {
        content: `${shown}/ (${entries.length} entries):\n${lines.join("\n")}${more}`,
        isError: false,
        data: { entries: entries.length },
      };
    },
  });
}

function formatEntry(entry: DirEntry): string {
  switch (entry.type) {
    case "dir":
      return `${entry.name}/`;
    case "symlink":
      return `${entry.name}@ (symlink)`;
    case "file":
      return `${entry.name}  ${formatSize(entry.size)}`;
    case "other":
      return `${entry.name}  (special file)`;
  }
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}
