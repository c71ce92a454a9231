import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { buildSandboxEnv } from "./sandbox-env.ts";

const hostHome = mkdtempSync(join(tmpdir(), "closedloop-env-home-"));
after(() => rmSync(hostHome, { recursive: true, force: true }));

const base = { home: "/sandbox/home", tmpdir: "/sandbox/tmp" };

function make(...rels: string[]): void {
  for (const rel of rels) mkdirSync(join(hostHome, rel), { recursive: true });
}

test("only allowlisted host variables get through; secrets (LC_SECRET_TOKEN too), sockets and cloud credentials do not", () => {
  const { env } = buildSandboxEnv({
    ...base,
    policy: {},
    hostEnv: {
      HOME: hostHome,
      PATH: "/usr/bin:/bin",
      LANG: "C.UTF-8",
      LC_ALL: "C",
      LC_TIME: "en_GB.UTF-8",
      LC_SECRET_TOKEN: "lc-secret",
      LC_TERMINAL: "iTerm2",
      TERM: "xterm",
      CI: "1",
      GITHUB_TOKEN: "ghp_x",
      OPENAI_API_KEY: "sk-x",
      SSH_AUTH_SOCK: "/tmp/ssh.sock",
      AWS_SECRET_ACCESS_KEY: "aws",
      AWS_PROFILE: "prod",
      NPM_CONFIG_USERCONFIG: "/root/.npmrc",
    },
  });
  assert.deepEqual(env, {
    PATH: "/usr/bin:/bin",
    LANG: "C.UTF-8",
    LC_ALL: "C",
    LC_TIME: "en_GB.UTF-8",
    TERM: "xterm",
    CI: "1",
    SHELL: "/bin/sh",
    USER: "sandbox",
    LOGNAME: "sandbox",
    HOME: "/sandbox/home",
    TMPDIR: "/sandbox/tmp",
  });
});

test("names in policy.env pass through and policy.setEnv values are set, winning over the allowlist", () => {
  const { env } = buildSandboxEnv({
    ...base,
    policy: { env: ["DATABASE_URL", "NOT_SET_ON_HOST"], setEnv: { TERM: "dumb", MODE: "test" } },
    hostEnv: { HOME: hostHome, PATH: "/bin", TERM: "xterm", DATABASE_URL: "postgres://x" },
  });
  assert.equal(env.DATABASE_URL, "postgres://x");
  assert.equal("NOT_SET_ON_HOST" in env, false);
  assert.equal(env.TERM, "dumb");
  assert.equal(env.MODE, "test");
});

test("a missing PATH falls back to the system directories, and relative PATH entries are dropped", () => {
  assert.match(
    buildSandboxEnv({ ...base, policy: {}, hostEnv: {} }).env.PATH ?? "",
    /^\/usr\/local\/sbin:.*:\/bin$/,
  );
  const { env } = buildSandboxEnv({ ...base, policy: {}, hostEnv: { PATH: ".:bin::/usr/bin:/usr/bin" } });
  assert.equal(env.PATH, "/usr/bin");
});

test("toolchains under the host home are found through their default dirs and named explicitly", () => {
  make(
    ".pyenv/shims",
    ".nvm",
    ".rustup",
    ".cargo/bin",
    ".cargo/registry",
    "go/bin",
    ".volta",
    ".bun",
    ".deno",
  );
  const { env, toolchainDirs } = buildSandboxEnv({
    ...base,
    policy: {},
    hostEnv: { HOME: hostHome, PATH: `${hostHome}/.pyenv/shims:${hostHome}/.cargo/bin:/usr/bin` },
  });
  assert.equal(env.PYENV_ROOT, join(hostHome, ".pyenv"));
  assert.equal(env.NVM_DIR, join(hostHome, ".nvm"));
  assert.equal(env.RUSTUP_HOME, join(hostHome, ".rustup"));
  assert.equal(env.CARGO_HOME, join(hostHome, ".cargo"));
  assert.equal(env.GOPATH, join(hostHome, "go"));
  assert.equal(env.VOLTA_HOME, join(hostHome, ".volta"));
  assert.equal(env.BUN_INSTALL, join(hostHome, ".bun"));
  assert.equal(env.DENO_INSTALL, join(hostHome, ".deno"));
  assert.equal(env.HOME, "/sandbox/home");
  for (const dir of [
    ".pyenv",
    ".nvm",
    ".rustup",
    ".cargo/bin",
    ".cargo/registry",
    "go",
    ".volta",
    ".bun",
    ".deno",
  ]) {
    assert.ok(toolchainDirs.includes(join(hostHome, dir)), `${dir} is a toolchain dir`);
  }
  // ~/.cargo holds credentials.toml: only its bin and caches are exposed, never the whole dir.
  assert.equal(toolchainDirs.includes(join(hostHome, ".cargo")), false);
});

test("a toolchain variable set on the host wins over the default location, and missing dirs are skipped", () => {
  const elsewhere = mkdtempSync(join(tmpdir(), "closedloop-env-pyenv-"));
  try {
    const { env, toolchainDirs } = buildSandboxEnv({
      ...base,
      policy: {},
      hostEnv: { HOME: "/nonexistent-home", PYENV_ROOT: elsewhere, NVM_DIR: "/nonexistent-nvm" },
    });
    assert.equal(env.PYENV_ROOT, elsewhere);
    assert.ok(toolchainDirs.includes(elsewhere));
    assert.equal("NVM_DIR" in env, false);
    assert.equal("GOPATH" in env, false);
  } finally {
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

test("GOROOT outside the home is left alone; inside the home it is exposed", () => {
  make(".go-sdk");
  const outside = buildSandboxEnv({ ...base, policy: {}, hostEnv: { HOME: hostHome, GOROOT: "/usr" } });
  assert.equal("GOROOT" in outside.env, false);
  const inside = buildSandboxEnv({
    ...base,
    policy: {},
    hostEnv: { HOME: hostHome, GOROOT: join(hostHome, ".go-sdk") },
  });
  assert.equal(inside.env.GOROOT, join(hostHome, ".go-sdk"));
  assert.ok(inside.toolchainDirs.includes(join(hostHome, ".go-sdk")));
});

test("every PATH entry under the host home is covered by a toolchain dir", () => {
  make(".local/bin", "tools/node/bin");
  const path = [
    `${hostHome}/.local/bin`,
    `${hostHome}/tools/node/bin`,
    `${hostHome}/.pyenv/shims`,
    hostHome,
    "/usr/bin",
  ].join(":");
  const { env, toolchainDirs } = buildSandboxEnv({
    ...base,
    policy: {},
    hostEnv: { HOME: hostHome, PATH: path },
  });
  assert.equal(env.PATH, path);
  assert.ok(toolchainDirs.includes(join(hostHome, ".local")));
  assert.ok(toolchainDirs.includes(join(hostHome, "tools")));
  // The home itself is never exposed whole, even when it is on PATH.
  assert.equal(toolchainDirs.includes(hostHome), false);
  for (const entry of path.split(":").filter((e) => e.startsWith(`${hostHome}/`))) {
    assert.ok(
      toolchainDirs.some((d) => entry === d || entry.startsWith(`${d}/`)),
      `${entry} is covered`,
    );
  }
});
