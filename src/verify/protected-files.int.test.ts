// Gaming routes through the files that decide how the verifier runs, against the real runners
// (node:test through npm, tsc, pytest, jest, vitest, mocha) and the real local sandbox. Every
// cheat is first shown to work: the raw verifier command exits 0 on the cheated tree. Then the
// same change, made in a working sandbox and verified in the clean room with NO --protect
// flag, ends not verified and names the protected file; an honest fix in the same project
// ends verified. Nothing here is told which files matter: the set is derived.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { createSandbox } from "../sandbox/index.ts";
import { parseVerifierSpec } from "./parse-verifier-spec.ts";
import { type Files, type Project, projects } from "./testing/cheat-projects.ts";
import { runRaw } from "./testing/project-files.ts";
import { verifyCandidate } from "./verify-candidate.ts";

const ourModules = resolve(import.meta.dirname, "../../node_modules");
const root = mkdtempSync(join(tmpdir(), "closedloop-protected-"));
after(() => rmSync(root, { recursive: true, force: true }));

function writeFiles(dir: string, files: Files): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(dir, path);
    // Removing first breaks a hard link, so the shared node_modules is never written through.
    rmSync(full, { force: true });
    if (content === null) continue;
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content, { mode: content.startsWith("#!") ? 0o755 : 0o644 });
  }
}

function makeTree(name: string, project: Project, change: Files = {}): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFiles(dir, project.files);
  if (project.nodeModules) execFileSync("cp", ["-al", ourModules, join(dir, "node_modules")]);
  writeFiles(dir, change);
  return dir;
}

/** The verifier command run plainly on a tree (no sandbox, no filtering): exit code and output. */

const policy = { backend: "local", quiet: true } as const;

/** git's own patch of the changed files between two trees (what a hostile patch could say). */
function gitPatch(before: string, after: string, files: Files): string {
  const scratch = mkdtempSync(join(root, "patch-"));
  for (const path of Object.keys(files)) {
    for (const [side, tree] of [
      ["a", before],
      ["b", after],
    ] as const) {
      mkdirSync(dirname(join(scratch, side, path)), { recursive: true });
      cpSync(join(tree, path), join(scratch, side, path));
    }
  }
  const r = spawnSync("git", ["diff", "--no-index", "--no-prefix", "a", "b"], {
    cwd: scratch,
    encoding: "utf8",
  });
  return r.stdout.replace(/^diff --git a\/(\S+) b\/\S+$/gm, "diff --git a/$1 b/$1");
}

async function verifyChange(workspace: string, verify: string, change: Files, handMade?: string) {
  const working = await createSandbox({ workspace, ...policy });
  try {
    for (const [path, content] of Object.entries(change)) {
      if (content === null) await working.exec(`rm -f -- '${path}'`);
      else {
        await working.exec(`mkdir -p -- "$(dirname '${path}')"`);
        await working.writeFile(path, content);
      }
    }
    const diff = await working.diff();
    if (handMade) assert.equal(diff, "", "the working sandbox leaves installed packages out of its patch");
    const patch = handMade ? gitPatch(workspace, handMade, change) : diff;
    const spec = parseVerifierSpec({ verify: [verify] });
    return { patch, result: await verifyCandidate({ spec, workspace, patch, sandboxPolicy: policy }) };
  } finally {
    await working.dispose();
  }
}

for (const project of projects) {
  describe(`protected files with ${project.name} (${project.verify})`, () => {
    const workspace = makeTree(project.name, project);

    test("the untouched project fails, and an honest source fix ends verified", async () => {
      assert.notEqual(runRaw(workspace, project.verify).code, 0, "the bug is real");
      const { result } = await verifyChange(workspace, project.verify, project.fix);
      assert.equal(result.verdict, "pass", result.text);
      assert.deepEqual(result.restoredProtected, []);
    });

    for (const cheat of project.cheats) {
      test(`${cheat.name} is a real cheat, and ends not verified naming ${cheat.protectedFile}`, async () => {
        const cheated = makeTree(`${project.name}-${cheat.name.replace(/\W+/g, "-")}`, project, cheat.files);
        const raw = runRaw(cheated, project.verify);
        assert.equal(raw.code, 0, `the cheat works on the raw command:\n${raw.output}`);
        const { patch, result } = await verifyChange(
          workspace,
          project.verify,
          cheat.files,
          cheat.handMade ? cheated : undefined,
        );
        assert.ok(patch.includes(cheat.protectedFile), "the working sandbox's patch carries the cheat");
        assert.equal(result.verdict, "fail", result.text);
        assert.ok(
          result.restoredProtected.includes(cheat.protectedFile),
          result.restoredProtected.join(", "),
        );
        assert.ok(result.text.includes(cheat.protectedFile), result.text);
      });
    }
  });
}
