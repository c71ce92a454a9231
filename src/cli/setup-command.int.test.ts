// `doctor` and `setup` against a faked machine: a PATH that holds only stub apt-get and sysctl
// (which record their arguments instead of changing anything), and a sysctl folder that says
// user namespaces are off. This machine has everything installed, so only fakes show misses.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";

const bin = new URL("../../bin/closedloop.mjs", import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), "closedloop-setup-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function fakeMachine(name: string, options: { usernsOff?: boolean; tools?: string[] } = {}) {
  const dir = join(scratch, name);
  const stubs = join(dir, "bin");
  const procSys = join(dir, "sys");
  mkdirSync(stubs, { recursive: true });
  mkdirSync(join(procSys, "user"), { recursive: true });
  writeFileSync(join(procSys, "user", "max_user_namespaces"), options.usernsOff ? "0\n" : "15000\n");
  const log = join(dir, "calls.log");
  for (const tool of ["apt-get", "sysctl", ...(options.tools ?? [])]) {
    writeFileSync(join(stubs, tool), `#!/bin/sh\necho "${tool} $*" >> ${log}\n`);
    chmodSync(join(stubs, tool), 0o755);
  }
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [bin, ...args], {
      encoding: "utf8",
      input: "",
      env: { ...process.env, PATH: stubs, CLOSEDLOOP_PROC_SYS: procSys, CLOSEDLOOP_CHROMIUM: "" },
      timeout: 60_000,
    });
  const calls = () => {
    try {
      return readFileSync(log, "utf8").trim().split("\n");
    } catch {
      return [];
    }
  };
  return { cli, calls };
}

test("doctor names each missing piece with its fix and fails while the local sandbox cannot run", () => {
  const machine = fakeMachine("doctor", { usernsOff: true });
  const r = machine.cli(["doctor"]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /^MISS bubblewrap .*not found on PATH.*fix: closedloop setup \(installs bubblewrap\)$/m,
  );
  assert.match(r.stdout, /^MISS git .*installs git\)$/m);
  assert.match(r.stdout, /^warn Chromium .*installs chromium fonts-liberation\)$/m);
  assert.match(
    r.stdout,
    /^MISS user namespaces .*user\.max_user_namespaces = 0.*sudo sysctl -w user\.max_user_namespaces=15000/m,
  );
  assert.match(r.stdout, /the local sandbox cannot run here yet \(bubblewrap, git, user namespaces\)/);
  assert.deepEqual(machine.calls(), [], "doctor changes nothing");
});

test("doctor passes when only optional pieces are missing", () => {
  const machine = fakeMachine("optional", { tools: ["bwrap", "git"] });
  const r = machine.cli(["doctor"]);
  // The stub bwrap "starts" a namespace (it exits 0), so only Chromium is missing.
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^warn Chromium/m);
  assert.match(r.stdout, /the local sandbox can run here/);
});

test("setup --yes prints and runs the package manager's install and the sysctl fix", () => {
  const machine = fakeMachine("setup", { usernsOff: true });
  const r = machine.cli(["setup", "--yes", "--for-tests"]);
  assert.match(
    r.stdout,
    /closedloop setup will run:\n {2}apt-get update\n {2}apt-get install -y --no-install-recommends /,
  );
  const calls = machine.calls();
  assert.equal(calls[0], "apt-get update");
  const install = calls[1]!.split(" ");
  assert.deepEqual(install.slice(0, 4), ["apt-get", "install", "-y", "--no-install-recommends"]);
  for (const pkg of [
    "bubblewrap",
    "git",
    "chromium",
    "fonts-liberation",
    "golang-go",
    "iproute2",
    "redis-server",
    "bats",
    "python3-pytest",
  ])
    assert.ok(install.includes(pkg), `installs ${pkg}: ${calls[1]}`);
  assert.equal(calls[2], "sysctl -w user.max_user_namespaces=15000");
  // The stubs installed nothing, so the check after it still fails, and says so.
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /the local sandbox cannot run here yet/);
});

test("setup without --yes and without a terminal asks for --yes and changes nothing", () => {
  const machine = fakeMachine("no-yes");
  const r = machine.cli(["setup"]);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /pass --yes/);
  assert.deepEqual(machine.calls(), []);
});
