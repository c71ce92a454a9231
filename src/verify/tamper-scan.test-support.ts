// Hand-written patches for the tamper scan's unit tests.
import { scanPatchForTampering } from "./tamper-scan.ts";

/** A git-style patch that creates `path` with `lines`. */
export function created(path: string, lines: string[]): string {
  return [
    `diff --git a/${path} b/${path}`,
    "new file mode 100644",
    "--- /dev/null",
    `+++ b/${path}`,
    `@@ -0,0 +1,${lines.length} @@`,
    ...lines.map((line) => `+${line}`),
    "",
  ].join("\n");
}

/** A patch that keeps `context` (lines 1..n) and adds `added` after it, starting at line `from`. */
export function edited(path: string, context: string[], added: string[]): string {
  return [
    `diff --git a/${path} b/${path}`,
    `--- a/${path}`,
    `+++ b/${path}`,
    `@@ -1,${context.length} +1,${context.length + added.length} @@`,
    ...context.map((line) => ` ${line}`),
    ...added.map((line) => `+${line}`),
    "",
  ].join("\n");
}

/** What the scan says of a new file `path` with `lines`: "line touches" per finding. */
export function touches(path: string, lines: string[]): string[] {
  return scanPatchForTampering(created(path, lines)).map((f) => `${f.line} ${f.touches}`);
}
