// Public face of the tools module: the tools the model sees and the one way to run a call.

export { truncateMiddle } from "../util/index.ts";
export { browserTool, closeBrowser } from "./browser-tool.ts";
export { createToolset, type ToolsetOptions } from "./create-toolset.ts";
export { defineTool, errorResult, type ToolSpec } from "./define-tool.ts";
export { runToolCall, toolDefinitions } from "./run-tool-call.ts";
export { serverTool, stopServers } from "./server-tool.ts";
export { defaultShellOutputChars, type ShellToolOptions } from "./shell-tool.ts";
export type * from "./types.ts";
