// `done`: the model's completion claim. The loop decides whether it stands (the verifier must
// pass in the clean room); this tool only carries the claim there.
import { z } from "zod";
import { defineTool } from "./define-tool.ts";
import type { Tool } from "./types.ts";

export function createDoneTool(): Tool {
  return defineTool({
    name: "done",
    description:
      "Claim the task is complete, with a short summary of what you changed and why. The claim is checked " +
      "by the verifier; if it fails you get the failures back and must continue.",
    schema: z.strictObject({
      summary: z.string().min(1).describe("What you changed and why it solves the task (a few sentences)."),
    }),
    run: ({ summary }, context) => context.claimDone(summary),
  });
}
