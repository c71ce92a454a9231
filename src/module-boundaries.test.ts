// The dependency direction from DESIGN.md, checked by the machine: every import under src/
// may reach only the modules its folder is allowed to use, and only through their index.ts.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";

const src = resolve(import.meta.dirname);

const allowed: Record<string, string[]> = {
  cli: [
    "web",
    "mcp",
    "fleet",
    "loop",
    "tools",
    "verify",
    "signals",
    "model",
    "sandbox",
    "store",
    "patch",
    "util",
  ],
  web: ["fleet", "loop", "store", "verify", "sandbox", "signals", "util"],
  mcp: ["fleet", "loop", "store", "verify", "sandbox", "signals", "util"],
  fleet: ["loop", "store", "verify", "util"],
  loop: ["model", "tools", "verify", "signals", "store", "patch", "util"],
  tools: ["sandbox", "signals", "patch", "util"],
  verify: ["sandbox", "signals", "patch", "util"],
  signals: ["util"],
  model: ["util"],
  sandbox: ["util"],
  store: ["util"],
  patch: ["util"],
  util: [],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

function moduleOf(file: string): string | undefined {
  const rel = relative(src, file);
  return rel.includes("/") ? rel.split("/")[0] : undefined;
}

test("every import under src/ follows the module direction in DESIGN.md", () => {
  const problems: string[] = [];
  for (const file of sourceFiles(src)) {
    const from = moduleOf(file);
    if (!from) continue;
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/(?:import|export)[^"']*?from\s+["'](\.[^"']+)["']/g)) {
      const target = resolve(dirname(file), match[1]!);
      const to = moduleOf(target);
      if (!to || to === from) continue;
      const where = `${relative(src, file)} imports ${relative(src, target)}`;
      if (!(allowed[from] ?? []).includes(to)) problems.push(`${where}: ${from}/ may not use ${to}/`);
      else if (!file.endsWith(".test.ts") && target !== join(src, to, "index.ts"))
        problems.push(`${where}: go through ${to}/index.ts`);
    }
  }
  assert.deepEqual(problems, []);
});

test("the boundary check notices a forbidden import", () => {
  assert.equal((allowed.sandbox ?? []).includes("loop"), false);
  assert.equal(moduleOf(join(src, "loop", "engine.ts")), "loop");
});
