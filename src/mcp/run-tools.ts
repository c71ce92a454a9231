// `run` (a whole loop, with a progress notification at every step and a heartbeat while a
// step is busy, so clients that reset their time-out on progress never cut it; cancelled by
// the client's cancellation), `runs_list` and `run_show` over the run store.
import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { type LoopEvent, summarizeRun } from "../loop/index.ts";
import { RunStore } from "../store/index.ts";
import type { McpSession } from "./mcp-session.ts";
import { resolveWorkspace } from "./tool-inputs.ts";
import { answer, guarded, McpToolError } from "./tool-result.ts";
import { formatWitness, readWitness } from "./witness.ts";

export function describeEvent(event: LoopEvent): string | undefined {
  switch (event.type) {
    case "step.started":
      return `step ${event.step}: asking the model`;
    case "tool.call":
      return `step ${event.step}: ${event.call.name}`;
    case "verify.started":
      return `step ${event.step}: verifying (${event.reason})`;
    case "verify.verdict":
      return `step ${event.step}: verdict ${event.verdict}, ${event.failingCount} failing`;
    case "done.claimed":
      return `step ${event.step}: done claimed, ${event.accepted ? "accepted" : "refused"}`;
    case "stall.detected":
      return `step ${event.step}: stall (${event.kind}) → ${event.action}`;
    case "step.finished":
      return `step ${event.step} finished`;
    case "run.finished":
      return `finished: ${event.outcome}`;
    default:
      return undefined;
  }
}

export function registerRunTools(server: McpServer, session: McpSession): void {
  server.registerTool(
    "run",
    {
      description:
        "Run closedloop's whole agent loop on a task: a model edits the project inside a sandbox, runs commands, reads what broke, and keeps going until the verifier commands pass in a fresh clean-room sandbox (or a budget or stall ends it). Sends a progress notification at every step; cancel the request to stop it. Returns the verdict, the verified patch (unified diff; the host folder is never changed) and the run id for run_show.",
      inputSchema: z
        .object({
          task: z.string().min(1).describe("what to do, as you would tell a developer"),
          workspace: z.string().describe("absolute path of the project folder"),
          verify: z.array(z.string().min(1)).min(1).describe("commands that decide done, e.g. ['npm test']"),
          protect: z
            .array(z.string())
            .optional()
            .describe("globs the model may not change, e.g. ['test/**']"),
          model: z
            .string()
            .optional()
            .describe("model id, e.g. anthropic:claude-sonnet-4-5 (default: the configured one)"),
          max_steps: z.number().int().positive().max(500).optional().describe("step budget (default 30)"),
          max_cost: z.number().positive().optional().describe("cost budget in US dollars"),
        })
        .strict(),
    },
    guarded("run", async (args, ctx) => {
      const launch = session.launchRun;
      if (!launch) throw new McpToolError("this server was started without the run tool");
      const workspace = resolveWorkspace(args.workspace, session.cwd);
      const token = ctx.mcpReq._meta?.progressToken;
      let progress = 0;
      let last = "starting";
      const notify = (message: string) => {
        last = message;
        if (token === undefined) return;
        progress++;
        ctx.mcpReq
          .notify({
            method: "notifications/progress",
            params: { progressToken: token, progress, message },
          })
          .catch(() => {});
      };
      // A step can take minutes (a long test suite): a heartbeat keeps the client's time-out from firing.
      const heartbeat = setInterval(() => notify(`${last} (still working)`), session.heartbeatMs);
      heartbeat.unref();
      try {
        const outcome = await launch(
          {
            task: args.task,
            workspace,
            verify: args.verify,
            protect: args.protect ?? [],
            model: args.model,
            maxSteps: args.max_steps,
            maxCostUsd: args.max_cost,
          },
          {
            runsDir: session.runsDir,
            signal: ctx.mcpReq.signal,
            onRunId: (id) => notify(`run ${id} started`),
            onEvent: (event) => {
              const message = describeEvent(event);
              if (message) notify(message);
            },
          },
        );
        const witness = readWitness(outcome.report);
        const head = `${outcome.verified ? "verified" : "NOT verified"} (${outcome.outcome}): ${outcome.reason}`;
        return answer(
          [head, witness ? formatWitness(witness) : "", `run id: ${outcome.runId}`]
            .filter(Boolean)
            .join("\n"),
          {
            runId: outcome.runId,
            verified: outcome.verified,
            outcome: outcome.outcome,
            reason: outcome.reason,
            patch: outcome.patch,
            report: outcome.report,
            ...(witness ?? {}),
          },
        );
      } finally {
        clearInterval(heartbeat);
      }
    }),
  );

  server.registerTool(
    "runs_list",
    {
      description: "The runs in this server's run store, newest first: id, when, task, status and outcome.",
      inputSchema: z.object({ limit: z.number().int().positive().max(1000).optional() }).strict(),
    },
    guarded("runs_list", async (args) => {
      const runs = new RunStore(session.runsDir).list().slice(0, args.limit ?? 50);
      const lines = runs.map(
        (r) => `${r.id}  ${(r.outcome ?? r.status).padEnd(12)}  ${(r.task ?? "").slice(0, 80)}`,
      );
      return answer(lines.join("\n") || `no runs under ${session.runsDir}`, { runs });
    }),
  );

  server.registerTool(
    "run_show",
    {
      description:
        "One run: its summary (task, model, outcome, steps, tokens, cost, time), a point per step (failing tests, cumulative tokens and cost), the step timeline, the report and the patch.",
      inputSchema: z.object({ id: z.string().min(1) }).strict(),
    },
    guarded("run_show", async (args) => {
      const store = new RunStore(session.runsDir);
      const { events, tornTail } = store.readEvents<LoopEvent>(args.id);
      const { summary, points } = summarizeRun(args.id, events);
      const timeline = events
        .map((e) => describeEvent(e))
        .filter((line): line is string => line !== undefined);
      const reportText = store.readResult(args.id, "report.json");
      const report = reportText ? parseReport(reportText) : undefined;
      const patch = store.readResult(args.id, "patch.diff");
      const head = `${summary.task}\n${summary.status === "finished" ? summary.outcome : "running"} after ${summary.steps} step(s), $${summary.costUsd.toFixed(4)}`;
      return answer(`${head}\n\n${timeline.join("\n")}`, {
        summary,
        points,
        timeline,
        tornTail,
        ...(report ? { report } : {}),
        ...(patch !== undefined ? { patch } : {}),
      });
    }),
  );
}

function parseReport(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
