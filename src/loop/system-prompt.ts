// The system prompt lives in prompts/system.md (configuration, not code); a run may name
// another file.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { UserError } from "../util/index.ts";

export const defaultSystemPromptPath = fileURLToPath(new URL("../../prompts/system.md", import.meta.url));

export function loadSystemPrompt(path: string = defaultSystemPromptPath): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch (error) {
    throw new UserError(`cannot read the system prompt ${path}: ${(error as Error).message}`);
  }
}
