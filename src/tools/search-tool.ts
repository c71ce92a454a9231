// `search`: a regular expression over the workspace's text files, with file and line for
// each hit. It runs grep inside the sandbox (fast, and sees exactly what the commands see);
// the pattern is checked as a JavaScript regex first so a typo gets a clear message.
import { posix } from "node:path";
import { z } from "zod";
import { shellQuote } from "../util/index.ts";
import { defineTool, errorResult } from "./define-tool.ts";
import type { Tool } from "./types.ts";
import { displayPath, isInsideWorkspace, resolveToolPath } from "./workspace-path.ts";

const maxMatches = 100;
const maxLineChars = 300;
const skippedDirs = [".git", "node_modules"];

export function createSearchTool(): Tool {
  return defineTool({
    name: "search",
    description:
      "Search file contents for a regular expression (PCRE/JavaScript syntax, case-sensitive; use (?i) to " +
      `ignore case). Returns up to ${maxMatches} matches as path:line: text. Skips .git, node_modules and ` +
      "binary files. path limits the search to a file or directory (default: the whole workspace).",
    schema: z.strictObject({
      pattern: z.string().min(1).describe("Regular expression to look for in each line."),
      path: z
        .string()
        .min(1)
        .optional()
        .describe("File or directory to search, relative to the workspace root."),
    }),
    async run({ pattern, path }, context) {
      const { sandbox } = context;
      try {
        new RegExp(pattern.replace(/^\(\?i\)/, ""));
      } catch (error) {
        return errorResult(`invalid regular expression: ${(error as Error).message}`);
      }
      // grep runs in the workspace root with a relative path, since backends may keep the
      // sandbox's files somewhere else than the host path (the process backend's copy).
      const root = posix.resolve(sandbox.info.workspace);
      const full = resolveToolPath(sandbox, path ?? ".");
      const target = isInsideWorkspace(sandbox, full) ? posix.relative(root, full) || "." : full;
      const excludes = skippedDirs.map((dir) => `--exclude-dir=${dir}`).join(" ");
      // Bounded in the sandbox: a pattern like "." on a big tree must not ship megabytes back.
      const command =
        `grep -rnIP --color=never ${excludes} -e ${shellQuote(pattern)} -- ${shellQuote(target)} ` +
        `| cut -c1-${maxLineChars + target.length + 40} | head -n ${maxMatches * 20}`;
      const result = await sandbox.exec(command, { cwd: root, timeoutMs: 60_000, signal: context.signal });
      const hits = result.stdout.split("\n").filter((line) => line.length > 0);
      const where = path ? displayPath(sandbox, path) : "the workspace";
      if (hits.length === 0) {
        const problem = result.stderr.trim();
        if (problem) return errorResult(`search failed: ${problem}`);
        return { content: `No matches for /${pattern}/ in ${where}.`, isError: false, data: { matches: 0 } };
      }
      const shown = hits.slice(0, maxMatches).map((line) => {
        const relative = line.startsWith("./") ? line.slice(2) : line;
        return relative.length > maxLineChars ? `${relative.slice(0, maxLineChars)}…` : relative;
      });
      const capped = hits.length >= maxMatches * 20;
      const count = capped ? `more than ${hits.length}` : String(hits.length);
      const more =
        hits.length > maxMatches
          ? `\n[${count} matches in all; showing the first ${maxMatches}. Narrow the pattern or the path.]`
          : "";
      return {
        content: `${count} match${hits.length === 1 ? "" : "es"} for /${pattern}/ in ${where}:\n${shown.join("\n")}${more}`,
        isError: false,
        data: { matches: hits.length, capped },
      };
    },
  });
}
