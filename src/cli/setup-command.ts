// `closedloop doctor` prints what this machine lacks, one line each with its fix, and exits 1
// when the local (isolated) backend cannot run. `closedloop setup` installs it with the
// system's package manager (sudo when not root), applies sysctl fixes, compiles the sandbox
// helpers, and checks again. It prints every command before it runs it; --yes skips asking.
import { spawnSync } from "node:child_process";
import { createInterface } from "node:readline/promises";
import { ensureNativeHelpers } from "../sandbox/index.ts";
import { UserError } from "../util/index.ts";
import { type FlagTable, formatFlagHelp, parseFlagTable } from "./flag-table.ts";
import {
  checkMachine,
  detectPackageManager,
  formatFinding,
  installCommands,
  type MachineFinding,
  type PackageManager,
  which,
} from "./machine-checks.ts";

const setupFlags = {
  yes: { short: "y", help: "run the commands without asking (for scripts and CI)" },
  "for-tests": { help: "also what closedloop's own test suite needs (Go, iproute2, Redis, pytest)" },
  help: { short: "h", help: "this text" },
} as const satisfies FlagTable;

const doctorFlags = {
  "for-tests": setupFlags["for-tests"],
  help: setupFlags.help,
} as const satisfies FlagTable;

function environment() {
  // CLOSEDLOOP_PROC_SYS points the sysctl checks at another folder (tests fake a kernel there).
  return { env: process.env, procSys: process.env.CLOSEDLOOP_PROC_SYS || "/proc/sys" };
}

function report(findings: MachineFinding[], manager: PackageManager | undefined): boolean {
  for (const f of findings) console.log(formatFinding(f, manager));
  const blocking = findings.filter((f) => !f.ok && f.blocksLocal);
  if (blocking.length > 0)
    console.log(
      `\nthe local sandbox cannot run here yet (${blocking.map((f) => f.name).join(", ")}): run 'closedloop setup', or pass --sandbox process to run without isolation`,
    );
  else console.log("\nthe local sandbox can run here");
  return blocking.length === 0;
}

export async function runDoctor(argv: string[]): Promise<number> {
  const { values } = parseFlagTable(doctorFlags, argv, "doctor");
  if (values.help) {
    console.log(
      `usage: closedloop doctor [--for-tests]\n\nChecks what closedloop needs; changes nothing.\n\n${formatFlagHelp(doctorFlags)}`,
    );
    return 0;
  }
  const { env, procSys } = environment();
  const findings = checkMachine({ env, procSys, forTests: values["for-tests"] ?? false });
  return report(findings, detectPackageManager(env)) ? 0 : 1;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlagTable(setupFlags, argv, "setup");
  if (values.help) {
    console.log(
      `usage: closedloop setup [--yes] [--for-tests]\n\nInstalls what closedloop needs with the system's package manager (apt, dnf, pacman, apk).\n\n${formatFlagHelp(setupFlags)}`,
    );
    return 0;
  }
  const { env, procSys } = environment();
  const forTests = values["for-tests"] ?? false;
  const findings = checkMachine({ env, procSys, forTests });
  const manager = detectPackageManager(env);
  const missing = findings.filter((f) => !f.ok);
  const commands: string[][] = [];
  if (missing.some((f) => f.packages)) {
    if (!manager)
      throw new UserError(
        `no supported package manager (apt-get, dnf, pacman, apk) found; install by hand: ${missing.map((f) => f.name).join(", ")}`,
      );
    commands.push(...installCommands(manager, missing));
  }
  for (const f of missing) commands.push(...(f.fixCommands ?? []));
  const asRoot = withSudo(env);
  const planned = commands.map(asRoot);
  if (planned.length > 0) {
    console.log("closedloop setup will run:");
    for (const c of planned) console.log(`  ${c.join(" ")}`);
    if (!values.yes && !(await confirm())) {
      console.log("nothing was changed (pass --yes to run without asking)");
      return 1;
    }
    for (const c of planned) {
      console.log(`$ ${c.join(" ")}`);
      const r = spawnSync(c[0]!, c.slice(1), {
        stdio: "inherit",
        env: { ...env, DEBIAN_FRONTEND: "noninteractive" },
      });
      if (r.status !== 0)
        throw new UserError(
          `'${c.join(" ")}' failed (${r.error?.message ?? `exit ${r.status}`}); fix that and run closedloop setup again`,
        );
    }
  }
  const built = ensureNativeHelpers({ env });
  console.log(
    built.helpers
      ? `sandbox helpers: ${built.helpers.dir}`
      : `sandbox helpers could not be compiled: ${built.error}`,
  );
  console.log("");
  return report(checkMachine({ env, procSys, forTests }), manager) && built.helpers ? 0 : 1;
}

function withSudo(env: NodeJS.ProcessEnv): (command: string[]) => string[] {
  if (process.getuid?.() === 0) return (c) => c;
  if (!which("sudo", env))
    throw new UserError("setup installs packages as root: run it as root, or install sudo");
  return (c) => ["sudo", ...c];
}

async function confirm(): Promise<boolean> {
  if (!process.stdin.isTTY)
    throw new UserError("setup needs your go-ahead: run it on a terminal, or pass --yes");
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question("proceed? [y/N] ")).trim());
  } finally {
    rl.close();
  }
}
