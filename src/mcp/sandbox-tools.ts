// The sandbox_* tools: a client creates a disposable sandbox over a project folder, runs
// commands in it (answered with the loop's compacted feedback), reads and writes files,
// takes the diff, and disposes it. Everything happens in the sandbox's own layer; the
// host's files are never written.
import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";
import { createSandbox } from "../sandbox/index.ts";
import { describeExit, execWithFeedback } from "./exec-feedback.ts";
import type { McpSession } from "./mcp-session.ts";
import { checkNetRules, parseLimits, parseTimeout, resolveWorkspace } from "./tool-inputs.ts";
import { answer, guarded, McpToolError } from "./tool-result.ts";

const maxReadBytes = 1024 * 1024;

const limitsSchema = z
  .object({
    memory: z.string().optional().describe("memory limit, e.g. 512m or 2g"),
    disk: z.string().optional().describe("bytes the sandbox may write, e.g. 1g"),
    output: z.string().optional().describe("output kept per command, e.g. 8m"),
    timeout: z.string().optional().describe("default time per command, e.g. 30s or 2m"),
    processes: z.number().int().positive().optional().describe("maximum number of processes"),
    cpus: z.number().positive().optional().describe("CPU share in cores, e.g. 1 or 0.5"),
  })
  .strict();

export function registerSandboxTools(server: McpServer, session: McpSession): void {
  const { registry } = session;
  // Read at call time: an HTTP session learns its id only after initialize.
  const owner = () => session.owner;

  server.registerTool(
    "sandbox_create",
    {
      description:
        "Create a disposable sandbox over a project folder and return its id. The sandbox sees the folder copy-on-write at the same path (writes land in the sandbox, never on the host), has no network unless allowNet names hosts, sees no host secrets, and has bounded memory, processes, disk, output and time. It is disposed after a period without calls, when this session ends, or by sandbox_dispose. Use it to run builds and tests safely.",
      inputSchema: z
        .object({
          workspace: z.string().describe("absolute path of the project folder on the server's machine"),
          allowNet: z
            .array(z.string())
            .optional()
            .describe("host names reachable through the egress proxy (exact or *.suffix); default none"),
          limits: limitsSchema.optional(),
          env: z.record(z.string(), z.string()).optional().describe("extra environment variables set inside"),
        })
        .strict(),
    },
    guarded("sandbox_create", async (args) => {
      const workspace = resolveWorkspace(args.workspace, session.cwd);
      const limits = parseLimits(args.limits);
      const allowNet = checkNetRules(args.allowNet ?? []);
      const id = await registry.create(owner(), () =>
        createSandbox({
          workspace,
          backend: session.backend,
          allowNet,
          limits,
          ...(args.env ? { setEnv: args.env } : {}),
          quiet: true,
        }),
      );
      const info = registry.list(owner()).find((s) => s.id === id);
      return answer(`sandbox ${id} over ${workspace} (${info?.isolated ? "isolated" : "NOT isolated"})`, {
        id,
        workspace,
        backend: session.backend,
        isolated: info?.isolated ?? false,
        ...(info?.hostPid !== undefined ? { hostPid: info.hostPid } : {}),
        idleTimeoutMs: registry.idleMs,
      });
    }),
  );

  server.registerTool(
    "sandbox_exec",
    {
      description:
        "Run a shell command in a sandbox (bash -c, in the sandbox's current folder; a cd sticks for the next call). Returns the exit code and compact feedback: a summary line and every failing test or compiler error with its first location, as parsed from tsc, eslint, node:test, jest, vitest, mocha, pytest, go, cargo and JUnit output, plus the raw stdout and stderr capped head-and-tail.",
      inputSchema: z
        .object({
          id: z.string().describe("sandbox id from sandbox_create"),
          command: z.string().min(1).describe("shell command, e.g. npm test"),
          timeout: z
            .string()
            .optional()
            .describe("time limit for this command, e.g. 30s (default: the sandbox's)"),
        })
        .strict(),
    },
    guarded("sandbox_exec", async (args, ctx) => {
      const timeoutMs = parseTimeout(args.timeout, "timeout");
      const result = await registry.use(owner(), args.id, (sandbox) =>
        execWithFeedback(sandbox, args.command, { timeoutMs, signal: ctx.mcpReq.signal }),
      );
      const { feedback, ...rest } = result;
      return answer(`${describeExit(result)} in ${result.durationMs} ms\n${feedback.text}`, {
        ...rest,
        findings: feedback.findings,
        fingerprint: feedback.fingerprint,
        summary: feedback.summary,
      });
    }),
  );

  server.registerTool(
    "sandbox_read_file",
    {
      description:
        "Read a text file in a sandbox (path relative to the workspace, or absolute inside it), as the sandbox sees it now, including its own changes. At most 1 MiB.",
      inputSchema: z.object({ id: z.string(), path: z.string().min(1) }).strict(),
    },
    guarded("sandbox_read_file", async (args) => {
      const bytes = await registry.use(owner(), args.id, (sandbox) => sandbox.readFile(args.path));
      if (bytes.byteLength > maxReadBytes)
        throw new McpToolError(
          `${args.path} is ${bytes.byteLength} bytes, over the 1 MiB this tool returns: read a part with sandbox_exec (e.g. sed -n 1,200p)`,
        );
      const text = Buffer.from(bytes).toString("utf8");
      return {
        content: [{ type: "text", text }],
        structuredContent: { path: args.path, bytes: bytes.byteLength },
      };
    }),
  );

  server.registerTool(
    "sandbox_write_file",
    {
      description:
        "Write a text file in a sandbox (creating folders as needed). The write lands in the sandbox's own layer; the host's file is unchanged. sandbox_diff shows every change.",
      inputSchema: z.object({ id: z.string(), path: z.string().min(1), content: z.string() }).strict(),
    },
    guarded("sandbox_write_file", async (args) => {
      await registry.use(owner(), args.id, (sandbox) => sandbox.writeFile(args.path, args.content));
      const bytes = Buffer.byteLength(args.content);
      return answer(`wrote ${bytes} bytes to ${args.path}`, { path: args.path, bytes });
    }),
  );

  server.registerTool(
    "sandbox_list",
    {
      description:
        "Without an id: the sandboxes this session holds (id, workspace, idle time). With an id and optional path: the entries of that folder in the sandbox.",
      inputSchema: z.object({ id: z.string().optional(), path: z.string().optional() }).strict(),
    },
    guarded("sandbox_list", async (args) => {
      if (args.id === undefined) {
        const sandboxes = registry.list(owner());
        return answer(`${sandboxes.length} sandbox(es) in this session`, { sandboxes });
      }
      const id = args.id;
      const entries = await registry.use(owner(), id, (sandbox) => sandbox.list(args.path));
      const lines = entries.map(
        (e) => `${e.type === "dir" ? `${e.name}/` : e.name}${e.type === "file" ? ` (${e.size} B)` : ""}`,
      );
      return answer(lines.join("\n") || "(empty)", { id, path: args.path ?? ".", entries });
    }),
  );

  server.registerTool(
    "sandbox_diff",
    {
      description:
        "The unified diff (git apply-able) of everything the sandbox changed against the original folder. Pass it to verify to check it in a clean room.",
      inputSchema: z.object({ id: z.string() }).strict(),
    },
    guarded("sandbox_diff", async (args) => {
      const patch = await registry.use(owner(), args.id, (sandbox) => sandbox.diff());
      return {
        content: [{ type: "text", text: patch || "(no changes)" }],
        structuredContent: { id: args.id, patch },
      };
    }),
  );

  server.registerTool(
    "sandbox_dispose",
    {
      description:
        "Dispose a sandbox: stop everything running in it and delete its layer. Its id is then invalid.",
      inputSchema: z.object({ id: z.string() }).strict(),
    },
    guarded("sandbox_dispose", async (args) => {
      await registry.dispose(owner(), args.id);
      return answer(`sandbox ${args.id} disposed`, { id: args.id, disposed: true });
    }),
  );
}
