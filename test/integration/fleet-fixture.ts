// Shared by the fleet's end-to-end tests: the bundled buggy project, scripted-model turn files
// (the model is a test double; the sandboxes, `node --test` and git are real), tasks files,
// and the CLI as a child process.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../", import.meta.url));
export const cli = join(root, "bin/closedloop.mjs");

export function createScratch(name: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `closedloop-${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function copyDemoProject(to: string): string {
  cpSync(join(root, "examples/demo/project"), to, { recursive: true });
  return to;
}

/** The demo project as a git repository; returns its path and the commit of the buggy tree. */
export function demoRepo(to: string): { repo: string; commit: string } {
  copyDemoProject(to);
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], {
      cwd: to,
      encoding: "utf8",
    });
  git("init", "-q");
  git("add", ".");
  git("commit", "-q", "-m", "buggy cart");
  const commit = git("rev-parse", "HEAD").trim();
  writeFileSync(join(to, "LATER.md"), "a later commit the task must not see\n");
  git("add", ".");
  git("commit", "-q", "-m", "later");
  return { repo: to, commit };
}

type Turn = { text?: string; toolCalls?: { name: string; args: unknown }[] };
const edit = (oldText: string, newText: string): Turn => ({
  toolCalls: [{ name: "edit_file", args: { path: "src/cart.js", oldText, newText } }],
});
export const fixTotal = edit("total += item.price;", "total += item.price * item.quantity;");
export const fixDiscount = edit("total * (percent / 100)", "total * (1 - percent / 100)");
export const done: Turn = { toolCalls: [{ name: "done", args: { summary: "fixed" } }] };
export const sleep = (seconds: number): Turn => ({
  toolCalls: [{ name: "shell", args: { command: `sleep ${seconds}` } }],
});

export function writeScript(dir: string, name: string, turns: Turn[]): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ turns }));
  return `scripted:${file}`;
}

export const demoTask = "Fix the cart so its tests pass.";

export function writeTasks(dir: string, lines: (Record<string, unknown> | string)[]): string {
  const file = join(dir, "tasks.jsonl");
  writeFileSync(file, `${lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n")}\n`);
  return file;
}

export function runCli(args: string[], timeout = 600_000) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", timeout });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

export function startCli(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  child.stdout!.on("data", (d) => {
    text += d;
  });
  child.stderr!.on("data", (d) => {
    text += d;
  });
  return { child, output: () => text };
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

export function readJsonLines<T = Record<string, unknown>>(path: string): T[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as T);
}

/** Resolves when `check` is true, polling; rejects after `ms`. */
export async function waitFor(what: string, check: () => boolean, ms = 300_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function eventsOf(runsDir: string, runId: string): { type: string; [k: string]: unknown }[] {
  return readJsonLines(join(runsDir, runId, "events.jsonl"));
}
