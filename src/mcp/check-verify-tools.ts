// `check` (one command in a fresh sandbox → findings) and `verify` (a patch judged in the
// clean room → verdict with its witness). Both build and dispose their own sandbox per call.
import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { createSandbox } from "../sandbox/index.ts";
import { UserError } from "../util/index.ts";
import { parseVerifierSpec, type VerifierSpec, type VerifyResult, verifyCandidate } from "../verify/index.ts";
import { describeExit, execWithFeedback } from "./exec-feedback.ts";
import type { McpSession } from "./mcp-session.ts";
import { parseTimeout, resolveWorkspace } from "./tool-inputs.ts";
import { answer, guarded, McpToolError } from "./tool-result.ts";
import { formatWitness, readWitness } from "./witness.ts";

export function registerCheckVerifyTools(server: McpServer, session: McpSession): void {
  server.registerTool(
    "check",
    {
      description:
        "Run one command (e.g. npm test, tsc --noEmit, pytest) in a fresh sandbox over a project folder and return what failed, compactly: every failing test or error with its first location, a summary (passed/failed counts, or 'unparsed' with the raw tail when the output was not recognized), and a fingerprint that stays the same while the same things fail. The sandbox is disposed afterwards.",
      inputSchema: z
        .object({
          workspace: z.string().describe("absolute path of the project folder"),
          command: z.string().min(1),
          timeout: z.string().optional().describe("time limit, e.g. 2m"),
        })
        .strict(),
    },
    guarded("check", async (args, ctx) => {
      const workspace = resolveWorkspace(args.workspace, session.cwd);
      const timeoutMs = parseTimeout(args.timeout, "timeout");
      const sandbox = await createSandbox({ workspace, backend: session.backend, quiet: true });
      try {
        const r = await execWithFeedback(sandbox, args.command, { timeoutMs, signal: ctx.mcpReq.signal });
        return answer(`${describeExit(r)}\n${r.feedback.text}`, {
          command: r.command,
          exitCode: r.exitCode,
          signal: r.signal,
          timedOut: r.timedOut,
          durationMs: r.durationMs,
          findings: r.feedback.findings,
          fingerprint: r.feedback.fingerprint,
          summary: r.feedback.summary,
          ...(r.feedback.summary.status === "unparsed" ? { text: r.feedback.text } : {}),
        });
      } finally {
        await sandbox.dispose();
      }
    }),
  );

  server.registerTool(
    "verify",
    {
      description:
        "Judge a candidate patch in a clean room: a fresh sandbox over the untouched project folder with the patch applied (changes to protected paths are undone first), where every verifier command must exit 0 and test runners must actually run tests. Returns the verdict (pass, fail or error), each command's result with its failures, and the witness when the verifier records one (tests that failed before and pass now, tests that passed and still pass).",
      inputSchema: z
        .object({
          workspace: z.string().describe("absolute path of the project folder"),
          patch: z
            .string()
            .describe("unified diff against the folder, e.g. from sandbox_diff (may be empty)"),
          verify: z
            .array(z.string().min(1))
            .min(1)
            .describe("commands that must all pass, e.g. ['npm test']"),
          protect: z
            .array(z.string())
            .optional()
            .describe("globs whose changes never count, e.g. ['test/**']"),
          timeout: z.string().optional().describe("time limit per command, e.g. 5m"),
        })
        .strict(),
    },
    guarded("verify", async (args) => {
      const workspace = resolveWorkspace(args.workspace, session.cwd);
      const timeoutMs = parseTimeout(args.timeout, "timeout");
      let spec: VerifierSpec;
      try {
        spec = parseVerifierSpec({
          verify: args.verify,
          protect: args.protect ?? [],
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        });
      } catch (error) {
        if (UserError.isInstance(error)) throw new McpToolError(error.message);
        throw error;
      }
      const result = await verifyCandidate({
        spec,
        workspace,
        patch: args.patch,
        sandboxPolicy: { backend: session.backend, quiet: true },
      });
      return verdictAnswer(result);
    }),
  );
}

function verdictAnswer(result: VerifyResult) {
  const witness = readWitness(result);
  const summary = [result.text, witness ? formatWitness(witness) : ""].filter(Boolean).join("\n\n");
  return answer(summary, {
    verdict: result.verdict,
    cleanRoom: result.cleanRoom,
    failingCount: result.failingCount,
    fingerprint: result.fingerprint,
    restoredProtected: result.restoredProtected,
    ...(result.error ? { error: result.error } : {}),
    ...(result.tampering?.length ? { tampering: result.tampering } : {}),
    commands: result.commands
      .filter((c) => !c.hidden)
      .map((c) => ({
        command: c.command,
        passed: c.passed,
        exitCode: c.exitCode,
        timedOut: c.timedOut,
        ranNoTests: c.ranNoTests,
        durationMs: Math.round(c.durationMs),
        summary: c.feedback.summary,
        findings: c.feedback.findings,
      })),
    ...(witness ?? {}),
  });
}
