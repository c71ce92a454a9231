// The tools against real sandboxes: every backend that can start here gets the same checks.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type BackendName, createSandbox, type Sandbox } from "../sandbox/index.ts";
import { createToolset } from "./create-toolset.ts";
import { runToolCall } from "./run-tool-call.ts";
import type { ToolContext, ToolResult } from "./types.ts";

const root = mkdtempSync(join(tmpdir(), "closedloop-tools-"));
const workspace = join(root, "project");
mkdirSync(join(workspace, "src"), { recursive: true });
mkdirSync(join(workspace, "node_modules", "dep"), { recursive: true });
writeFileSync(join(workspace, "src", "sum.js"), "export function sum(a, b) {\n  return a - b;\n}\n");
writeFileSync(
  join(workspace, "src", "twice.js"),
  "export const x = 1;\nexport const y = 1;\nexport const x2 = 1;\nexport const y2 = 1;\n",
);
writeFileSync(join(workspace, "node_modules", "dep", "index.js"), "export function sum() {}\n");
after(() => rmSync(root, { recursive: true, force: true }));

async function usableBackends(): Promise<BackendName[]> {
  const usable: BackendName[] = [];
  for (const backend of ["local", "process"] as const) {
    try {
      const sandbox = await createSandbox({ workspace, backend, quiet: true });
      await sandbox.dispose();
      usable.push(backend);
    } catch {}
  }
  return usable;
}

const backends = await usableBackends();
test("at least one sandbox backend runs here", () => assert.ok(backends.length > 0));

for (const backend of backends) {
  describe(`tools on the ${backend} backend`, () => {
    let sandbox: Sandbox;
    const tools = createToolset({ shell: { outputChars: 2000 } });
    let context: ToolContext;
    const call = (name: string, args: unknown): Promise<ToolResult> =>
      runToolCall(tools, { name, args }, context);

    before(async () => {
      sandbox = await createSandbox({ workspace, backend, quiet: true });
      context = {
        sandbox,
        runVerifier: async () => ({ content: "not used", isError: false }),
        claimDone: async () => ({ content: "not used", isError: false }),
      };
    });
    after(() => sandbox.dispose());

    test("shell states the exit code and duration of every command", async () => {
      const ok = await call("shell", { command: "echo hello" });
      assert.equal(ok.isError, false);
      assert.match(ok.content, /^\$ echo hello\nexit code 0 · \d+ ms\nhello/);
      const failed = await call("shell", { command: "echo oops >&2; exit 3" });
      assert.match(failed.content, /exit code 3 · \d+ ms\noops/);
      assert.equal(failed.data?.exitCode, 3);
    });

    test("shell reports a command killed by its timeout", async () => {
      const slow = await call("shell", { command: "sleep 5", timeoutMs: 300 });
      assert.match(slow.content, /timed out \(timeoutMs 300\) and was killed/);
      assert.equal(slow.data?.timedOut, true);
    });

    test("shell names the signal that killed a command", async () => {
      const killed = await call("shell", { command: "kill -9 $$" });
      assert.match(killed.content, /killed by signal SIGKILL · \d+ ms/);
      assert.equal(killed.data?.signal, "SIGKILL");
    });

    test("long shell output keeps head and tail and the full text is readable with read_file", async () => {
      const result = await call("shell", { command: "seq 1 5000" });
      assert.ok(result.content.length < 3000, `observation is ${result.content.length} characters`);
      assert.match(result.content, /\n1\n2\n3\n/);
      assert.match(result.content, /4999\n5000$/);
      const path = String(result.data?.outputPath);
      assert.match(result.content, new RegExp(`full text: ${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
      assert.ok(!path.startsWith(workspace), "the full output is kept out of the workspace");
      const read = await call("read_file", { path, startLine: 2500, endLine: 2502 });
      assert.equal(read.isError, false);
      assert.match(read.content, /2500\t2500\n2501\t2501\n2502\t2502/);
      assert.equal(await sandbox.diff(), "", "saving the output left the patch empty");
    });

    test("cd in one shell call carries over to the next, whatever other tools ran", async () => {
      await call("shell", { command: "cd src" });
      await call("search", { pattern: "sum" });
      const here = await call("shell", { command: "ls" });
      assert.match(here.content, /sum\.js/);
      await call("shell", { command: "cd .." });
    });

    test("read_file shows numbered lines and refuses what is not a text file", async () => {
      const read = await call("read_file", { path: "src/sum.js" });
      assert.equal(
        read.content,
        "src/sum.js (3 lines)\n1\texport function sum(a, b) {\n2\t  return a - b;\n3\t}",
      );
      const missing = await call("read_file", { path: "src/nope.js" });
      assert.equal(missing.isError, true);
      assert.match(missing.content, /does not exist/);
      const dir = await call("read_file", { path: "src" });
      assert.equal(dir.isError, true);
      assert.match(dir.content, /directory/);
    });

    test("edit_file replaces one exact occurrence and shows the edited region", async () => {
      const edited = await call("edit_file", { path: "src/sum.js", oldText: "a - b", newText: "a + b" });
      assert.equal(edited.isError, false, edited.content);
      assert.match(
        edited.content,
        /Edited src\/sum\.js \(lines 2–2 now\):\n1\texport function sum\(a, b\) \{\n2\t {2}return a \+ b;/,
      );
      assert.equal(edited.mutated, true);
      assert.match(await sandbox.diff(), /\+ {2}return a \+ b;/);
      assert.equal(
        readFileSync(join(workspace, "src", "sum.js"), "utf8").includes("a - b"),
        true,
        "host untouched",
      );
    });

    test("edit_file errors say whether oldText is absent, ambiguous or unchanged", async () => {
      const absent = await call("edit_file", { path: "src/sum.js", oldText: "a * b", newText: "a + b" });
      assert.equal(absent.isError, true);
      assert.match(absent.content, /oldText was not found/);
      const ambiguous = await call("edit_file", { path: "src/twice.js", oldText: "= 1;", newText: "= 2;" });
      assert.equal(ambiguous.isError, true);
      assert.match(ambiguous.content, /occurs 4 times \(starting at lines 1, 2, 3, 4\)/);
      const same = await call("edit_file", { path: "src/sum.js", oldText: "a + b", newText: "a + b" });
      assert.match(same.content, /identical/);
      const missing = await call("edit_file", { path: "nope.js", oldText: "a", newText: "b" });
      assert.match(missing.content, /does not exist/);
    });

    test("write_file creates parent directories and list shows the result", async () => {
      const written = await call("write_file", { path: "lib/deep/new.js", content: "export {};\n" });
      assert.equal(written.isError, false, written.content);
      assert.match(written.content, /Created lib\/deep\/new\.js \(1 lines/);
      const listed = await call("list", { path: "lib/deep" });
      assert.match(listed.content, /new\.js {2}11 B/);
      const top = await call("list", {});
      assert.match(top.content, /lib\/\n/);
      const file = await call("list", { path: "src/sum.js" });
      assert.equal(file.isError, true);
    });

    test("search finds matches with file and line and skips node_modules", async () => {
      const found = await call("search", { pattern: "function \\w+\\(" });
      assert.match(found.content, /src\/sum\.js:1:export function sum\(a, b\) \{/);
      assert.doesNotMatch(found.content, /node_modules/);
      const none = await call("search", { pattern: "zzz_nothing", path: "src" });
      assert.equal(none.isError, false);
      assert.match(none.content, /No matches/);
      const bad = await call("search", { pattern: "(" });
      assert.equal(bad.isError, true);
      assert.match(bad.content, /invalid regular expression/);
    });

    test("malformed arguments and unknown tools come back as error results", async () => {
      const bad = await call("shell", { command: 42 });
      assert.equal(bad.isError, true);
      assert.match(bad.content, /"command": .*expected string/);
      const unknown = await call("bash", { command: "ls" });
      assert.equal(unknown.isError, true);
      assert.match(unknown.content, /Unknown tool "bash"/);
      const outside = await call("write_file", { path: "../escape.txt", content: "x" });
      assert.equal(outside.isError, true);
    });
  });
}
