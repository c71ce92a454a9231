// The tools the model sees, in the order it sees them: the eight core tools, then (unless
// turned off) `server` and `browser` for web work — starting a dev server in the sandbox
// and looking at its pages in a real headless Chromium.
import { browserTool } from "./browser-tool.ts";
import { createDoneTool } from "./done-tool.ts";
import { createEditFileTool } from "./edit-file-tool.ts";
import { createListTool } from "./list-tool.ts";
import { createReadFileTool } from "./read-file-tool.ts";
import { createSearchTool } from "./search-tool.ts";
import { serverTool } from "./server-tool.ts";
import { createShellTool, type ShellToolOptions } from "./shell-tool.ts";
import type { Tool } from "./types.ts";
import { createVerifyTool } from "./verify-tool.ts";
import { createWriteFileTool } from "./write-file-tool.ts";

export interface ToolsetOptions {
  shell?: ShellToolOptions;
  /** Include the `server` and `browser` tools (default true). */
  web?: boolean;
}

export function createToolset(options: ToolsetOptions = {}): Tool[] {
  return [
    createShellTool(options.shell),
    createReadFileTool(),
    createWriteFileTool(),
    createEditFileTool(),
    createSearchTool(),
    createListTool(),
    createVerifyTool(),
    createDoneTool(),
    ...(options.web === false ? [] : [serverTool, browserTool]),
  ];
}
