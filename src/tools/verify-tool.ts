// `verify`: the model asks for the verdict now; the loop owns the verifier and runs it
// through the ToolContext callback.
import { z } from "zod";
import { defineTool } from "./define-tool.ts";
import type { Tool } from "./types.ts";

export function createVerifyTool(): Tool {
  return defineTool({
    name: "verify",
    description:
      "Run the project's verifier now, in a fresh sandbox built from your current changes (protected files " +
      "restored to their original content), and see the verdict with the failures. This is the check that " +
      "decides whether the task is done.",
    schema: z.strictObject({}),
    run: (_args, context) => context.runVerifier(),
  });
}
