// Shared by the MCP integration tests: a copy of the demo project (two failing cart tests),
// scripted-model files (the LLM's test double) and the SDK's own client over stdio or HTTP.
import { cpSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const cliEntry = join(repoRoot, "bin", "closedloop.mjs");

/** A temp folder holding `project/` (the demo's buggy cart) and `runs/`. */
export function createDemoWorkspace(): { root: string; project: string; runsDir: string } {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "closedloop-mcp-")));
  const project = join(root, "project");
  cpSync(join(repoRoot, "examples", "demo", "project"), project, { recursive: true });
  return { root, project, runsDir: join(root, "runs") };
}

const fixCart = [
  {
    name: "edit_file",
    args: {
      path: "src/cart.js",
      oldText: "total += item.price;",
      newText: "total += item.price * item.quantity;",
    },
  },
  {
    name: "edit_file",
    args: { path: "src/cart.js", oldText: "total * (percent / 100)", newText: "total * (1 - percent / 100)" },
  },
];

/**
 * A scripted run that fixes the cart: `slowSteps` turns of `sleep stepSeconds` first (so the
 * run outlasts a short client time-out), then both edits, then done. Returns the script path.
 */
export function writeFixScript(
  dir: string,
  options: { slowSteps?: number; stepSeconds?: number } = {},
): string {
  const slow = Array.from({ length: options.slowSteps ?? 0 }, (_, i) => ({
    text: `Looking around (${i + 1}).`,
    toolCalls: [{ name: "shell", args: { command: `sleep ${options.stepSeconds ?? 0.5}` } }],
  }));
  const turns = [
    ...slow,
    { text: "Fixing both bugs.", toolCalls: fixCart },
    { text: "Done.", toolCalls: [{ name: "done", args: { summary: "cart fixed" } }] },
  ];
  const path = join(dir, `script-${Math.random().toString(16).slice(2)}.json`);
  writeFileSync(path, JSON.stringify({ turns }));
  return path;
}

export function newClient(name = "closedloop-test"): Client {
  return new Client({ name, version: "0.0.0" });
}

export async function connectStdio(
  args: string[],
  cwd: string,
): Promise<{ client: Client; transport: StdioClientTransport }> {
  const client = newClient();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliEntry, "mcp", ...args],
    cwd,
    stderr: "pipe",
    env: { ...(process.env as Record<string, string>) },
  });
  await client.connect(transport);
  return { client, transport };
}

export async function connectHttp(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = newClient();
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** The JSON value a closedloop tool returns (its structuredContent). */
export function structured<T = Record<string, unknown>>(result: { structuredContent?: unknown }): T {
  return result.structuredContent as T;
}

export function textOf(result: { content?: unknown }): string {
  return ((result.content ?? []) as { type: string; text?: string }[]).map((c) => c.text ?? "").join("\n");
}

export interface ServeProcess {
  url: string;
  child: import("node:child_process").ChildProcess;
  stop(): Promise<void>;
}

/** `closedloop serve --port 0 …` as a user starts it; resolves once it prints its address. */
export async function startServe(args: string[], cwd: string): Promise<ServeProcess> {
  const { spawn } = await import("node:child_process");
  const child = spawn(process.execPath, [cliEntry, "serve", "--port", "0", ...args], {
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /dashboard (http:\/\/[^/\s]+)\//.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
