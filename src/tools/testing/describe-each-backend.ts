// Set-up shared by the integration tests of the web tools (server, browser): a temporary
// workspace, a suite per sandbox backend with one sandbox shared by its tests, free host ports.
// A backend that cannot run on this machine skips with the reason; any other failure fails.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type BackendName, createSandbox, type Sandbox } from "../../sandbox/index.ts";
import { serverTool } from "../server-tool.ts";
import type { ToolContext, ToolResult } from "../types.ts";

/** A temporary workspace holding `files` (paths relative to it), removed when the test file ends. */
export function createTempWorkspace(prefix: string, files: Record<string, string>): string {
  const workspace = mkdtempSync(join(tmpdir(), prefix));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(workspace, path)), { recursive: true });
    writeFileSync(join(workspace, path), content);
  }
  after(() => rmSync(workspace, { recursive: true, force: true }));
  return workspace;
}

/** A port free on the host right now (the process backend shares the host's network). */
export async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address ? address.port : 0;
}

/** A context for tools that never verify or finish: those two callbacks answer with an error. */
export function createToolContext(sandbox: Sandbox): ToolContext {
  const unused = async () => ({ content: "not part of this test", isError: true });
  return { sandbox, runVerifier: unused, claimDone: unused };
}

/** Starts the workspace's `node server.js <port>` on a free port with the server tool; it must start. */
export async function startWorkspaceServer(
  context: ToolContext,
): Promise<{ port: number; started: ToolResult }> {
  const port = await findFreePort();
  const started = await serverTool.run({ action: "start", command: `node server.js ${port}`, port }, context);
  assert.equal(started.isError, false, started.content);
  return { port, started };
}

/** Registers a test named `[backend] name` that runs `body` against the backend's sandbox. */
export type BackendTest = (name: string, body: (context: ToolContext) => Promise<void>) => void;

export interface EachBackendOptions {
  workspace: string;
  /** Stops what the tests left running in the sandbox (servers, a browser) before it is disposed. */
  release(sandbox: Sandbox): Promise<void>;
}

/**
 * A `<backend> backend` suite for the process and local backends. The tests of one suite share
 * one sandbox over `workspace` and run in order, so a later test may use what an earlier one
 * started; each gets a fresh context from createToolContext.
 */
export function describeEachBackend(
  options: EachBackendOptions,
  defineTests: (backendTest: BackendTest) => void,
): void {
  for (const backend of ["process", "local"] as BackendName[]) {
    describe(`${backend} backend`, () => {
      let sandbox: Sandbox | undefined;
      // A backend that cannot start fails its tests with the preflight message; never a skip.
      before(async () => {
        sandbox = await createSandbox({ workspace: options.workspace, backend, quiet: true });
      });
      after(async () => {
        if (!sandbox) return;
        await options.release(sandbox);
        await sandbox.dispose();
      });
      defineTests((name, body) =>
        test(`[${backend}] ${name}`, async () => {
          assert.ok(sandbox, `${backend} backend did not start`);
          await body(createToolContext(sandbox));
        }),
      );
    });
  }
}
