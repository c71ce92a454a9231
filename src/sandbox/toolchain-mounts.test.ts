import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { findToolchainMounts, isInside } from "./toolchain-mounts.ts";

const home = mkdtempSync(join(tmpdir(), "closedloop-toolchain-home-"));
after(() => rmSync(home, { recursive: true, force: true }));

function make(...rels: string[]): void {
  for (const rel of rels) mkdirSync(join(home, rel), { recursive: true });
}
function file(rel: string): void {
  writeFileSync(join(home, rel), "x\n");
}
const paths = (entries: string[], env: Record<string, string> = {}) =>
  findToolchainMounts({ HOME: home, ...env }, entries).mounts.map((m) => m.path);

// What a user keeps next to the toolchains, and what must never be bound in.
make(".ssh", ".local/share/keyrings", ".config/gh");
file(".ssh/id_ed25519");
file(".local/share/keyrings/login.keyring");
file(".config/gh/hosts.yml");

function assertNoSecrets(mounted: string[]): void {
  for (const secret of [".ssh/id_ed25519", ".local/share/keyrings/login.keyring", ".config/gh/hosts.yml"])
    assert.ok(
      !mounted.some((m) => isInside(join(home, secret), m)),
      `${secret} is reachable through ${mounted}`,
    );
  assert.ok(!mounted.includes(home), "the home itself is mounted");
}

test("pyenv: the shims, the pyenv program, its hooks and plugins, the installs and the version file", () => {
  make(
    ".pyenv/shims",
    ".pyenv/bin",
    ".pyenv/libexec",
    ".pyenv/plugins/pyenv-virtualenv/shims",
    ".pyenv/pyenv.d",
  );
  make(".pyenv/versions/3.11.7/bin", ".pyenv/src", ".pyenv/test");
  file(".pyenv/version");
  const got = findToolchainMounts({ HOME: home }, [join(home, ".pyenv/shims")]);
  const byPath = new Map(got.mounts.map((m) => [m.path, m]));
  for (const part of ["shims", "bin", "libexec", "plugins", "pyenv.d", "versions"])
    assert.equal(byPath.get(join(home, ".pyenv", part))?.kind, "dir", part);
  assert.equal(byPath.get(join(home, ".pyenv", "version"))?.kind, "file");
  assert.match(byPath.get(join(home, ".pyenv", "versions"))?.reason ?? "", /PYENV_ROOT.*versions/);
  assert.equal(byPath.has(join(home, ".pyenv")), false, "not the whole of ~/.pyenv");
  assert.equal(byPath.has(join(home, ".pyenv", "src")), false);
  assert.equal(got.env.PYENV_ROOT, join(home, ".pyenv"));
});

test("cargo and rustup: ~/.cargo/bin and caches, rustup's settings and toolchains, never credentials", () => {
  make(
    ".cargo/bin",
    ".cargo/registry",
    ".rustup/toolchains/stable-x86_64-unknown-linux-gnu/bin",
    ".rustup/downloads",
  );
  file(".cargo/credentials.toml");
  file(".rustup/settings.toml");
  const got = paths([join(home, ".cargo/bin")]);
  assert.ok(got.includes(join(home, ".cargo/bin")));
  assert.ok(got.includes(join(home, ".rustup/toolchains")));
  assert.ok(got.includes(join(home, ".rustup/settings.toml")));
  assert.ok(!got.some((m) => isInside(join(home, ".cargo/credentials.toml"), m)));
  assert.ok(!got.includes(join(home, ".rustup/downloads")));
});

test("a PATH entry ~/.local/bin brings ~/.local/bin and ~/.local/lib, never ~/.local with its keyrings", () => {
  make(".local/bin", ".local/lib/python3.11");
  const got = paths([join(home, ".local/bin"), "/usr/bin"]);
  assert.ok(got.includes(join(home, ".local/bin")));
  assert.ok(got.includes(join(home, ".local/lib")));
  assert.ok(!got.includes(join(home, ".local")));
  assertNoSecrets(got);
});

test("GOPATH=$HOME binds its bin and module cache, never the home (with ~/.ssh) itself", () => {
  make("bin", "pkg/mod/example.com");
  const got = paths([join(home, "bin")], { GOPATH: home });
  assert.ok(got.includes(join(home, "bin")));
  assert.ok(got.includes(join(home, "pkg/mod")));
  assertNoSecrets(got);
});

test("a PATH entry that is the home, contains it, or links to it is never bound", () => {
  symlinkSync(home, join(home, "loop"));
  symlinkSync("/", join(home, "root-link"));
  const { mounts } = findToolchainMounts({ HOME: home }, [
    home,
    join(home, "loop"),
    join(home, "root-link"),
    "/",
    join(home, ".."),
  ]);
  assert.deepEqual(
    mounts.filter((m) => /PATH/.test(m.reason)),
    [],
  );
  assertNoSecrets(mounts.map((m) => m.path));
});

test("an install deeper in the home comes along whole; one at the top only with its bin and lib", () => {
  make("tools/node/bin", "tools/node/lib/node_modules", "tools/secret-notes", "scripts");
  const got = paths([join(home, "tools/node/bin"), join(home, "scripts")]);
  assert.ok(got.includes(join(home, "tools/node")), "the install prefix");
  assert.ok(!got.includes(join(home, "tools")), "not the top-level folder it is in");
  assert.ok(got.includes(join(home, "scripts")), "a PATH entry that is not a bin folder: just itself");
  assertNoSecrets(got);
});

test("every mount says why it was made, and nothing is bound twice", () => {
  make(".pyenv/shims", ".pyenv/versions", ".local/bin");
  const { mounts } = findToolchainMounts({ HOME: home }, [
    join(home, ".pyenv/shims"),
    join(home, ".pyenv/shims"),
    join(home, ".local/bin"),
  ]);
  for (const m of mounts) assert.ok(m.reason.length > 5, `${m.path} has a reason`);
  assert.equal(new Set(mounts.map((m) => m.path)).size, mounts.length);
  const shims = mounts.find((m) => m.path === join(home, ".pyenv/shims"));
  assert.match(shims?.reason ?? "", /PYENV_ROOT/);
  const local = mounts.find((m) => m.path === join(home, ".local/bin"));
  assert.match(local?.reason ?? "", /PATH entry/);
});

test("a toolchain root set on the host wins over the default folder; a missing one is skipped", () => {
  const elsewhere = mkdtempSync(join(tmpdir(), "closedloop-toolchain-pyenv-"));
  try {
    mkdirSync(join(elsewhere, "shims"));
    const got = findToolchainMounts(
      { HOME: "/nonexistent-home", PYENV_ROOT: elsewhere, NVM_DIR: "/nope" },
      [],
    );
    assert.equal(got.env.PYENV_ROOT, elsewhere);
    assert.deepEqual(
      got.mounts.map((m) => m.path),
      [join(elsewhere, "shims")],
    );
    assert.equal("NVM_DIR" in got.env, false);
  } finally {
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

test("GOROOT outside the home is left alone; inside the home its distribution parts are bound", () => {
  make(".go-sdk/bin", ".go-sdk/src");
  assert.equal("GOROOT" in findToolchainMounts({ HOME: home, GOROOT: "/usr" }, []).env, false);
  const got = paths([], { GOROOT: join(home, ".go-sdk") });
  assert.ok(got.includes(join(home, ".go-sdk/bin")));
  assert.ok(!got.includes(join(home, ".go-sdk")));
});
