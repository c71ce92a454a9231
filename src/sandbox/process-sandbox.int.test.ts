// The shared contract, plus what only the process backend promises: it says loudly that it
// isolates nothing, it works on a copy, and reset/diff find every change by stat walk.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { after, before, test } from "node:test";
import { runSandboxContract } from "./contract.ts";
import { type ContractFixture, createContractFixture, snapshotTree } from "./contract-fixture.ts";
import { createProcessSandbox } from "./process-sandbox.ts";

runSandboxContract("process");

let fx: ContractFixture;
before(() => {
  fx = createContractFixture();
});
after(() => rmSync(fx.base, { recursive: true, force: true }));

test("the process backend reports no isolation and no limit mechanism", async () => {
  const sb = await createProcessSandbox({ workspace: fx.workspace, backend: "process", quiet: true });
  try {
    assert.equal(sb.info.backend, "process");
    assert.equal(sb.info.isolated, false);
    assert.equal(sb.info.limitMechanism, "none");
    assert.equal(sb.info.workspace, fx.workspace);
  } finally {
    await sb.dispose();
  }
});

test("creating process sandboxes warns on stderr once per host process, and never when quiet", () => {
  const script = (quiet: boolean) => `
    import { createProcessSandbox } from ${JSON.stringify(new URL("./process-sandbox.ts", import.meta.url).pathname)};
    for (let i = 0; i < 2; i++) {
      const sb = await createProcessSandbox({ workspace: ${JSON.stringify(fx.workspace)}, backend: "process", quiet: ${quiet} });
      await sb.dispose();
    }`;
  const run = (quiet: boolean) =>
    spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script(quiet)], {
      encoding: "utf8",
    });
  const loud = run(false);
  assert.equal(loud.status, 0, loud.stderr);
  assert.equal(loud.stderr.match(/--sandbox process gives NO isolation/g)?.length, 1);
  const quiet = run(true);
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.equal(quiet.stderr, "");
});

test("reset puts back exactly what commands changed, even a same-size edit with its mtime set back", async () => {
  const sb = await createProcessSandbox({ workspace: fx.workspace, backend: "process", quiet: true });
  try {
    const view = (await sb.exec("pwd")).stdout.trim();
    const r = await sb.exec(
      [
        "printf 'HELLO\\n' > README.md && touch -r empty.txt README.md && touch -r run.sh README.md",
        "chmod 700 src",
        "rm -rf src && ln -s /tmp src-was-here",
        "mkdir -p new/deep && echo x > new/deep/f",
        "git -c user.name=t -c user.email=t@t.invalid commit -qam change",
        "rm data.bin && echo 'not binary' > data.bin",
      ].join(" && "),
    );
    assert.equal(r.exitCode, 0, r.stderr);
    const patch = await sb.diff();
    assert.match(patch, /^-hello$/m, "a same-size edit with its mtime set back is still seen");
    await sb.reset();
    assert.deepEqual(snapshotTree(view), snapshotTree(fx.workspace));
    assert.equal(await sb.diff(), "");
  } finally {
    await sb.dispose();
  }
});

test("dispose removes the sandbox's temp dir, and a disposed sandbox refuses work", async () => {
  const sb = await createProcessSandbox({ workspace: fx.workspace, backend: "process", quiet: true });
  const view = (await sb.exec("pwd")).stdout.trim();
  const home = (await sb.exec('echo "$HOME"')).stdout.trim();
  assert.ok(existsSync(view) && existsSync(home));
  await sb.dispose();
  assert.equal(existsSync(view), false);
  assert.equal(existsSync(home), false);
  await assert.rejects(sb.exec("true"), /disposed/);
});

test("a command that deletes the whole workspace copy fails the next command clearly, and reset recovers", async () => {
  const sb = await createProcessSandbox({ workspace: fx.workspace, backend: "process", quiet: true });
  try {
    const view = (await sb.exec("pwd")).stdout.trim();
    assert.equal((await sb.exec(`cd / && rm -rf ${JSON.stringify(view)}`)).exitCode, 0);
    assert.match(await sb.diff(), /^deleted file mode 100644$/m);
    assert.equal((await sb.exec("ls README.md", { cwd: view })).exitCode, 125);
    await sb.reset();
    assert.deepEqual(snapshotTree(view), snapshotTree(fx.workspace));
    assert.equal((await sb.exec("cat README.md")).stdout, "hello\n");
  } finally {
    await sb.dispose();
  }
});
