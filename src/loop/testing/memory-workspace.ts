// A sandbox-shaped object that keeps files in memory, for the loop's unit tests and the loop
// bench (which measures the harness, so its tools must be instant). It runs no commands
// except the one the loop itself uses to restore a checkpoint (`git apply -`, emulated for
// the whole-file diffs this object writes). Not a sandbox: nothing here isolates anything.
import type { LoopEnvironment, WorkspaceSandbox } from "../index.ts";

type Files = Map<string, string>;

export interface MemoryWorkspace extends LoopEnvironment {
  files: Files;
  verifyCalls: number;
}

const workspaceRoot = "/memory/workspace";

/** Whole-file unified diff of `current` against `baseline` (valid input for `git apply`). */
export function formatWholeFileDiff(baseline: Files, current: Files): string {
  const names = [...new Set([...baseline.keys(), ...current.keys()])].sort();
  let out = "";
  for (const name of names) {
    const before = baseline.get(name);
    const after = current.get(name);
    if (before === after) continue;
    const old = before === undefined ? [] : before.replace(/\n$/, "").split("\n");
    const now = after === undefined ? [] : after.replace(/\n$/, "").split("\n");
    out += `diff --git a/${name} b/${name}\n`;
    out += `--- ${before === undefined ? "/dev/null" : `a/${name}`}\n+++ ${after === undefined ? "/dev/null" : `b/${name}`}\n`;
    out += `@@ -${old.length === 0 ? 0 : 1},${old.length} +${now.length === 0 ? 0 : 1},${now.length} @@\n`;
    out += old.map((l) => `-${l}\n`).join("") + now.map((l) => `+${l}\n`).join("");
  }
  return out;
}

/** Applies a diff written by formatWholeFileDiff onto a copy of `baseline`. */
export function applyWholeFileDiff(baseline: Files, patch: string): Files {
  const files = new Map(baseline);
  for (const section of patch.split(/^diff --git /m).slice(1)) {
    const name = /^a\/(\S+) b\//.exec(section)![1]!;
    if (/^\+\+\+ \/dev\/null$/m.test(section)) {
      files.delete(name);
      continue;
    }
    const added = section.split("\n").filter((l) => l.startsWith("+") && !l.startsWith("+++"));
    files.set(name, `${added.map((l) => l.slice(1)).join("\n")}\n`);
  }
  return files;
}

/**
 * `check(files)` is the verifier: it returns the failing items of a candidate. The clean room
 * is honoured in miniature: each verification rebuilds files from the baseline plus the patch.
 */
export function createMemoryWorkspace(
  initial: Record<string, string>,
  check: (files: Files) => string[],
): MemoryWorkspace {
  const baseline: Files = new Map(Object.entries(initial));
  let files: Files = new Map(baseline);
  const resolve = (path: string) => path.replace(`${workspaceRoot}/`, "").replace(/^\.\//, "");
  const unsupported = async (): Promise<never> => {
    throw new Error("the memory workspace runs no processes");
  };

  const sandbox: WorkspaceSandbox = {
    info: {
      backend: "process",
      id: "memory",
      workspace: workspaceRoot,
      limits: {
        memoryBytes: 0,
        maxProcesses: 0,
        openFiles: 0,
        cpuCores: 0,
        diskBytes: 0,
        shmBytes: 0,
        outputBytes: 0,
        timeoutMs: 0,
      },
      limitMechanism: "none",
      isolated: false,
    },
    async exec(command, options) {
      if (!command.includes("git apply")) throw new Error(`the memory workspace cannot run: ${command}`);
      files = applyWholeFileDiff(files, String(options?.stdin ?? ""));
      return {
        exitCode: 0,
        signal: null,
        stdout: "",
        stderr: "",
        durationMs: 0,
        timedOut: false,
        truncated: false,
        outputBytes: 0,
        cwd: workspaceRoot,
      };
    },
    async readFile(path) {
      const text = files.get(resolve(path));
      if (text === undefined) throw new Error(`ENOENT: no such file ${path}`);
      return new TextEncoder().encode(text);
    },
    async writeFile(path, content) {
      files.set(resolve(path), typeof content === "string" ? content : new TextDecoder().decode(content));
    },
    async list() {
      return [...files.keys()].map((name) => ({
        name,
        type: "file" as const,
        size: files.get(name)!.length,
      }));
    },
    start: unsupported,
    exposePort: unsupported,
    async diff() {
      return formatWholeFileDiff(baseline, files);
    },
    async endStrays() {
      // Commands here are instant functions: nothing outlives one.
    },
    async reset() {
      files = new Map(baseline);
    },
    async dispose() {},
  };

  const workspace: MemoryWorkspace = {
    get files() {
      return files;
    },
    verifyCalls: 0,
    sandbox,
    async verify(patch) {
      workspace.verifyCalls += 1;
      const failures = check(applyWholeFileDiff(baseline, patch));
      return {
        verdict: failures.length === 0 ? "pass" : "fail",
        cleanRoom: true,
        commands: [],
        findings: [],
        failingCount: failures.length,
        fingerprint: failures.join("\n"),
        text:
          failures.length === 0
            ? "all checks pass"
            : `${failures.length} failing:\n${failures.map((f) => `- ${f}`).join("\n")}`,
        restoredProtected: [],
      };
    },
  };
  return workspace;
}
