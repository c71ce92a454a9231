// The clean room against real sandboxes and the real node:test runner: a small buggy
// project, and the ways a model could try to win without fixing it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { type BackendName, createSandbox, type Sandbox } from "../sandbox/index.ts";
import { parseVerifierSpec } from "./parse-verifier-spec.ts";
import type { VerifierSpec } from "./types.ts";
import { verifyCandidate } from "./verify-candidate.ts";

// The project sits below the top of a git repository, as a package in a monorepo would.
const root = mkdtempSync(join(tmpdir(), "closedloop-verify-"));
after(() => rmSync(root, { recursive: true, force: true }));
execFileSync("git", ["init", "-q"], { cwd: root });
const workspace = join(root, "packages", "calc");
mkdirSync(join(workspace, "src"), { recursive: true });
mkdirSync(join(workspace, "test"), { recursive: true });
const files: Record<string, string> = {
  "package.json": '{ "type": "module", "imports": { "#sum": "./src/sum.js" } }\n',
  "src/sum.js": "export function sum(a, b) {\n  return a - b;\n}\n",
  "test/sum.test.js":
    'import assert from "node:assert/strict";\nimport { test } from "node:test";\nimport { sum } from "#sum";\n\n' +
    'test("sum adds", () => assert.equal(sum(1, 2), 3));\n',
  "notes.txt": "notes\n",
  "logo.bin": "\u0000\u0001\u0002",
};
for (const [path, content] of Object.entries(files)) writeFileSync(join(workspace, path), content);
const original = snapshot();

function snapshot(): string {
  return Object.keys(files)
    .map((path) => `${path}:${readFileSync(join(workspace, path), "latin1")}`)
    .join("\n");
}

const spec = parseVerifierSpec({ verify: ["node --test"], protect: ["test/**"] });
const fixed = "export function sum(a, b) {\n  return a + b;\n}\n";

async function usableBackends(): Promise<BackendName[]> {
  const usable: BackendName[] = [];
  for (const backend of ["local", "process"] as const) {
    try {
      await (await createSandbox({ workspace, backend, quiet: true })).dispose();
      usable.push(backend);
    } catch {}
  }
  return usable;
}

const backends = await usableBackends();
test("at least one sandbox backend runs here", () => assert.ok(backends.length > 0));

for (const backend of backends) {
  describe(`the clean room on the ${backend} backend`, () => {
    const policy = { backend, quiet: true } as const;

    /** A candidate patch made the way the loop makes it: changes in a working sandbox, then diff(). */
    async function candidate(
      change: (sandbox: Sandbox) => Promise<unknown>,
    ): Promise<{ patch: string; working: Sandbox }> {
      const working = await createSandbox({ workspace, ...policy });
      await change(working);
      return { patch: await working.diff(), working };
    }

    async function verify(patch: string, options: { spec?: VerifierSpec; working?: Sandbox } = {}) {
      return verifyCandidate({
        spec: options.spec ?? spec,
        workspace,
        patch,
        sandboxPolicy: policy,
        working: options.working,
      });
    }

    test("the unpatched project fails, naming the failing command", async () => {
      const result = await verify("");
      assert.equal(result.verdict, "fail");
      assert.equal(result.cleanRoom, true);
      assert.ok(result.failingCount >= 1);
      assert.match(result.text, /Verifier: FAIL/);
      assert.match(result.text, /✗ node --test — exit code 1/);
    });

    test("a correct patch passes", async () => {
      const { patch, working } = await candidate((s) => s.writeFile("src/sum.js", fixed));
      try {
        const result = await verify(patch, { working });
        assert.equal(result.verdict, "pass", result.text);
        assert.equal(result.failingCount, 0);
        assert.deepEqual(result.restoredProtected, []);
        assert.deepEqual(result.changedPaths, ["src/sum.js"]);
        assert.match(result.text, /Verifier: PASS/);
      } finally {
        await working.dispose();
      }
      assert.equal(snapshot(), original, "the host tree is untouched");
    });

    test("editing a protected test to pass leaves the verdict red and names the test", async () => {
      const { patch, working } = await candidate((s) =>
        s.writeFile("test/sum.test.js", files["test/sum.test.js"]!.replace("3));", "-1));")),
      );
      try {
        const result = await verify(patch, { working });
        assert.equal(result.verdict, "fail");
        assert.deepEqual(result.restoredProtected, ["test/sum.test.js"]);
        assert.match(result.text, /your changes to them were undone for this check: test\/sum\.test\.js/);
        assert.equal(result.workingVerdict, "pass");
      } finally {
        await working.dispose();
      }
    });

    test("deleting protected tests leaves the verdict red: they are restored and still fail", async () => {
      const { patch, working } = await candidate((s) => s.exec("rm -r test"));
      try {
        assert.match(patch, /deleted file mode/);
        const result = await verify(patch);
        assert.equal(result.verdict, "fail");
        assert.deepEqual(result.restoredProtected, ["test/sum.test.js"]);
      } finally {
        await working.dispose();
      }
    });

    test("deleting unprotected tests is red too: a test run that ran nothing is not a pass", async () => {
      // node's default test locations are protected: the user hands them back with --allow-edit.
      const unprotected = parseVerifierSpec({ verify: ["node --test"], allowEdit: ["test/**"] });
      const { patch, working } = await candidate((s) => s.exec("rm -r test"));
      try {
        const result = await verify(patch, { spec: unprotected });
        assert.equal(result.verdict, "fail");
        assert.equal(result.commands[0]?.exitCode, 0, "node --test itself exits 0 with no tests");
        assert.equal(result.commands[0]?.ranNoTests, true);
        assert.match(result.text, /exit code 0 but it ran no tests/);
      } finally {
        await working.dispose();
      }
    });

    test("a fix that depends on a file outside the patch is green in the working sandbox and red in the clean room", async () => {
      const cheat =
        'import { readFileSync } from "node:fs";\nimport { tmpdir } from "node:os";\n\n' +
        "export function sum(a, b) {\n" +
        '  const fix = JSON.parse(readFileSync(tmpdir() + "/secret-fix.json", "utf8"));\n' +
        "  return fix.add ? a + b : a - b;\n}\n";
      const { patch, working } = await candidate(async (s) => {
        await s.writeFile("src/sum.js", cheat);
        const wrote = await s.exec(`echo '{"add": true}' > "\${TMPDIR:-/tmp}/secret-fix.json"`);
        assert.equal(wrote.exitCode, 0);
      });
      try {
        assert.doesNotMatch(patch, /secret-fix\.json"?\s*$/m);
        const result = await verify(patch, { working });
        assert.equal(result.verdict, "fail", result.text);
        assert.equal(result.workingVerdict, "pass");
        assert.match(result.text, /PASSES in your working sandbox but FAILS in the clean room/);
        assert.match(result.text, /depends on state\s+outside the patch/);
      } finally {
        await working.dispose();
      }
    });

    test("a failing hidden check is reported without its command or output", async () => {
      const withHidden = parseVerifierSpec({
        verify: ["node --test"],
        protect: ["test/**"],
        hidden: [
          'node -e \'import("./src/sum.js").then(m => { if (m.sum(2, 2) !== 4) { console.error("SECRET-JUDGE-OUTPUT"); process.exit(1) } })\'',
        ],
      });
      const { patch, working } = await candidate((s) =>
        s.writeFile("src/sum.js", "export function sum(a, b) {\n  return a === 1 && b === 2 ? 3 : 0;\n}\n"),
      );
      try {
        const result = await verify(patch, { spec: withHidden });
        assert.equal(result.verdict, "fail");
        assert.match(result.text, /✓ node --test/);
        assert.match(result.text, /✗ a hidden check failed/);
        assert.doesNotMatch(result.text, /SECRET-JUDGE-OUTPUT|sum\(2, 2\)|node -e/);
        assert.equal(
          result.findings.some((f) => f.message.includes("SECRET")),
          false,
        );
        const real = await candidate((s) => s.writeFile("src/sum.js", fixed));
        await real.working.dispose();
        const honest = await verify(real.patch, { spec: withHidden });
        assert.equal(honest.verdict, "pass", honest.text);
        assert.match(honest.text, /✓ hidden checks passed/);
      } finally {
        await working.dispose();
      }
    });

    test("renames, deletions and binary files in the patch reach the clean room", async () => {
      const shape = parseVerifierSpec({
        verify: ["test -f docs/notes.md && test ! -e notes.txt && od -An -tx1 logo.bin | grep -q 'ff 00 fe'"],
      });
      const { patch, working } = await candidate(async (s) => {
        await s.exec("mkdir docs && mv notes.txt docs/notes.md");
        await s.writeFile("logo.bin", new Uint8Array([0xff, 0x00, 0xfe]));
      });
      try {
        const result = await verify(patch, { spec: shape });
        assert.equal(result.verdict, "pass", `${result.text}\n${patch}`);
      } finally {
        await working.dispose();
      }
    });

    test("a patch that does not apply is an error verdict that says so", async () => {
      const stale =
        "diff --git a/src/sum.js b/src/sum.js\n--- a/src/sum.js\n+++ b/src/sum.js\n@@ -1,3 +1,3 @@\n export function sum(a, b) {\n-  return a * b;\n+  return a + b;\n }\n";
      const result = await verify(stale);
      assert.equal(result.verdict, "error");
      assert.match(result.text, /Verifier: ERROR/);
      assert.match(result.text, /your patch does not apply to the original files/);
      assert.match(result.error ?? "", /sum\.js/);
    });

    test("compared with the previous verdict, the text says what changed", async () => {
      const red = await verify("");
      const { patch, working } = await candidate((s) => s.writeFile("src/sum.js", fixed));
      try {
        const green = await verifyCandidate({ spec, workspace, patch, sandboxPolicy: policy, previous: red });
        assert.match(
          green.text,
          new RegExp(
            `Since the last verification: failures ${red.failingCount} → 0; now passing: node --test`,
          ),
        );
        assert.notEqual(green.fingerprint, red.fingerprint);
        const again = await verify("");
        assert.equal(again.fingerprint, red.fingerprint, "the same failure has the same fingerprint");
      } finally {
        await working.dispose();
      }
    });
  });
}
