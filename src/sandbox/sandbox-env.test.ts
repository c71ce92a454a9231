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

test("only allowlisted host variables get through; secrets (LC_SECRET_TOKEN too), sockets, cloud credentials and the host's loader variables do not", () => {
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
      // The agent puts its own library in LD_PRELOAD inside (cl-nodump.so); the host's never.
      LD_PRELOAD: "/usr/lib/host-hook.so",
      LD_AUDIT: "/usr/lib/host-audit.so",
      LD_LIBRARY_PATH: "/opt/host/lib",
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

test("toolchain roots under the host home are named explicitly inside, since HOME is not the host's", () => {
  make(
    ".pyenv/shims",
    ".nvm/versions",
    ".rustup/toolchains",
    ".cargo/bin",
    "go/bin",
    ".volta/bin",
    ".bun/bin",
    ".deno/bin",
  );
  const { env, toolchainMounts } = buildSandboxEnv({
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
  assert.ok(toolchainMounts.some((m) => m.path === join(hostHome, ".pyenv", "shims")));
});
