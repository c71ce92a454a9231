// The tools the model sees, in the order it sees them. The browser and server tools are
// registered beside these by whoever builds the run (they need options of their own).
import { createDoneTool } from "./done-tool.ts";
import { createEditFileTool } from "./edit-file-tool.ts";
import { createListTool } from "./list-tool.ts";
import { createReadFileTool } from "./read-file-tool.ts";
import { createSearchTool } from "./search-tool.ts";
import { createShellTool, type ShellToolOptions } from "./shell-tool.ts";
import type { Tool } from "./types.ts";
import { createVerifyTool } from "./verify-tool.ts";
import { createWriteFileTool } from "./write-file-tool.ts";

export interface ToolsetOptions {
  shell?: ShellToolOptions;
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
  ];
}
