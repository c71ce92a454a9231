// Toolchain mounts that exposed the home (issue 9, item 5): a PATH entry ~/.local/bin used to
// bind all of ~/.local (keyrings, app data), GOPATH=$HOME the whole home with ~/.ssh. The
// attack plants a keyring and uses the fixture's fake ~/.ssh key in the test HOME, puts
// ~/.local/bin on PATH and sets GOPATH=$HOME on the host, and tries to read both; the
// toolchains that really live in the home (pyenv's python3, cargo) must still run.
import { accessSync, constants, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Attack } from "./attack-context.ts";
import { summarize } from "./attack-helpers.ts";

/** Sets host variables for the length of `body`, then puts them back as they were. */
async function withHostEnv<T>(vars: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await body();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

function canRun(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export const homeMountAttacks: Attack[] = [
  {
    id: "home-toolchain-mounts",
    category: "secrets",
    title:
      "with ~/.local/bin on PATH and GOPATH=$HOME, the home's keyrings and ~/.ssh stay unreadable while its toolchains run",
    async run(ctx) {
      const home = ctx.fixture.fakeHome;
      const keyring = join(home, ".local", "share", "keyrings", "login.keyring");
      mkdirSync(join(home, ".local", "bin"), { recursive: true });
      mkdirSync(join(home, ".local", "share", "keyrings"), { recursive: true });
      // World-readable, as app data often is: only the mount, not the file mode, may stop it.
      writeFileSync(keyring, `keyring-${ctx.fixture.secretToken}\n`, { mode: 0o644 });
      writeFileSync(join(home, ".local", "bin", "cl-sec-tool"), "#!/bin/sh\necho local-bin-tool\n", {
        mode: 0o755,
      });
      // The real toolchains of the user running the battery (they live under the real home).
      const real = ctx.fixture.realHome ?? "/nonexistent";
      const toolchains: Record<string, string> = {};
      if (canRun(join(real, ".pyenv", "shims", "python3"))) toolchains.PYENV_ROOT = join(real, ".pyenv");
      if (canRun(join(real, ".cargo", "bin", "cargo")) && existsSync(join(real, ".rustup"))) {
        toolchains.CARGO_HOME = join(real, ".cargo");
        toolchains.RUSTUP_HOME = join(real, ".rustup");
      }
      try {
        return await withHostEnv(
          {
            ...toolchains,
            GOPATH: home,
            PATH: `${join(home, ".local", "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`,
          },
          async () => {
            // A warm spare was booted under the old host environment; this one must not be.
            const sb = await ctx.sandbox({ warmPool: false });
            const r = await ctx.sh(
              sb,
              `cat "${keyring}" "${ctx.fixture.fakeKeyFile}" 2>&1; echo "home: $(ls -A "${home}" 2>&1 | tr '\\n' ' ')"; cl-sec-tool; python3 -c 'print("py", 6*7)'; cargo --version`,
            );
            const leaked = `${r.stdout}${r.stderr}`.includes(ctx.fixture.secretToken);
            const listed = /^home: .*\.ssh\b/m.test(r.stdout);
            // Stopping the leak by breaking the toolchains would be no fix.
            const missing = [
              ...(toolchains.PYENV_ROOT && !/^py 42$/m.test(r.stdout) ? ["python3"] : []),
              ...(toolchains.CARGO_HOME && !/^cargo \d/m.test(r.stdout) ? ["cargo"] : []),
              ...(/^local-bin-tool$/m.test(r.stdout) ? [] : ["~/.local/bin/cl-sec-tool"]),
            ];
            if (!leaked && missing.length > 0)
              throw new Error(`home toolchains no longer run: ${missing.join(", ")} (${summarize(r)})`);
            const tools = Object.keys(toolchains).length
              ? Object.keys(toolchains).join(", ")
              : "none of this user's";
            return {
              escaped: leaked || listed,
              evidence: leaked
                ? "the planted keyring or ~/.ssh key was read"
                : listed
                  ? "the home's ~/.ssh is visible inside"
                  : `keyring and key unreadable; home toolchains ran (${tools}, ~/.local/bin): ${summarize(r).slice(0, 160)}`,
            };
          },
        );
      } finally {
        rmSync(join(home, ".local"), { recursive: true, force: true });
      }
    },
  },
];
