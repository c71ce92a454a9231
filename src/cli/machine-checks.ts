// What this machine lacks for closedloop, as findings that `doctor` prints and `setup` fixes.
// Each finding names its packages per package manager, so setup installs exactly those.
// Everything the checks read (PATH, the sysctl folder) can be pointed elsewhere by tests.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { diagnoseUserNamespaces, findNativeHelpers, isInContainer } from "../sandbox/index.ts";
import { findChromium } from "../signals/index.ts";

export type PackageManager = "apt" | "dnf" | "pacman" | "apk";
export const packageManagers: PackageManager[] = ["apt", "dnf", "pacman", "apk"];
const managerBinary: Record<PackageManager, string> = {
  apt: "apt-get",
  dnf: "dnf",
  pacman: "pacman",
  apk: "apk",
};

export interface MachineFinding {
  name: string;
  ok: boolean;
  /** What was found, or what is missing and why it matters. */
  detail: string;
  /** Packages that fix it, per package manager. */
  packages?: Partial<Record<PackageManager, string[]>>;
  /** A fix that is not a package (a sysctl, a container flag). */
  fix?: string;
  /** Commands setup runs for a non-package fix (as root). */
  fixCommands?: string[][];
  /** The local (isolated) backend cannot run while this is not ok. */
  blocksLocal: boolean;
  /** Needed only by closedloop's own test suite. */
  forTests?: boolean;
}

export interface CheckOptions {
  env?: NodeJS.ProcessEnv;
  /** The sysctl folder (default /proc/sys). */
  procSys?: string;
  forTests?: boolean;
}

export function which(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter).filter(Boolean)) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

export function detectPackageManager(env: NodeJS.ProcessEnv = process.env): PackageManager | undefined {
  return packageManagers.find((m) => which(managerBinary[m], env));
}

function tool(
  name: string,
  binaries: string[],
  packages: MachineFinding["packages"],
  why: string,
  env: NodeJS.ProcessEnv,
  extra: Partial<MachineFinding> = {},
): MachineFinding {
  const found = binaries.map((b) => which(b, env)).find(Boolean);
  return {
    name,
    ok: Boolean(found),
    detail: found ? found : `not found on PATH (${why})`,
    packages,
    blocksLocal: false,
    ...extra,
  };
}

export function checkMachine(options: CheckOptions = {}): MachineFinding[] {
  const env = options.env ?? process.env;
  const findings: MachineFinding[] = [];
  findings.push(
    tool(
      "bubblewrap",
      ["bwrap"],
      { apt: ["bubblewrap"], dnf: ["bubblewrap"], pacman: ["bubblewrap"], apk: ["bubblewrap"] },
      "the local sandbox is built on it",
      env,
      { blocksLocal: true },
    ),
  );
  const helpers = findNativeHelpers({ env });
  const cc = tool(
    "C compiler",
    ["cc", "gcc"],
    { apt: ["gcc", "libc6-dev"], dnf: ["gcc", "glibc-devel"], pacman: ["gcc"], apk: ["gcc", "musl-dev"] },
    "it compiles the sandbox's small helpers once",
    env,
    { blocksLocal: !helpers },
  );
  if (helpers && !cc.ok)
    Object.assign(cc, { ok: true, detail: `not needed: helpers already built in ${helpers.dir}` });
  else if (helpers) cc.detail = `${cc.detail} (helpers built in ${helpers.dir})`;
  findings.push(cc);
  findings.push(
    tool(
      "git",
      ["git"],
      { apt: ["git"], dnf: ["git"], pacman: ["git"], apk: ["git"] },
      "patches are applied and diffed with it",
      env,
      { blocksLocal: true },
    ),
  );
  const chromium = findChromium(env);
  findings.push({
    name: "Chromium",
    ok: Boolean(chromium),
    detail:
      chromium ??
      "not found (needed for --browser-check and the browser tool; set CLOSEDLOOP_CHROMIUM to use another)",
    // Debian skips recommends, so the font Chromium needs to render text is named.
    packages: {
      apt: ["chromium", "fonts-liberation"],
      dnf: ["chromium"],
      pacman: ["chromium"],
      apk: ["chromium"],
    },
    blocksLocal: false,
  });
  findings.push(checkUserNamespaces(options.procSys ?? "/proc/sys", env));
  if (options.forTests) findings.push(...checkTestTools(env));
  return findings;
}

function checkUserNamespaces(procSys: string, env: NodeJS.ProcessEnv): MachineFinding {
  const base = { name: "user namespaces", blocksLocal: true };
  const diagnosis = diagnoseUserNamespaces(procSys);
  if (diagnosis) {
    const sysctl = /sysctl -w ([\w.]+=\d+)/.exec(diagnosis)?.[1];
    return {
      ...base,
      ok: false,
      detail: diagnosis.split(": run")[0]!,
      fix: diagnosis,
      ...(sysctl ? { fixCommands: [["sysctl", "-w", sysctl]] } : {}),
    };
  }
  // The settings look fine; a container may still forbid CLONE_NEWUSER, which only trying shows.
  const bwrap = which("bwrap", env);
  if (!bwrap) return { ...base, ok: true, detail: "kernel settings allow them (not tried: no bwrap yet)" };
  const r = spawnSync(bwrap, ["--unshare-user", "--ro-bind", "/", "/", "true"], {
    encoding: "utf8",
    timeout: 10_000,
  });
  if (r.status === 0) return { ...base, ok: true, detail: "a user namespace starts" };
  return {
    ...base,
    ok: false,
    detail: `bwrap cannot start a user namespace: ${(r.stderr || r.error?.message || "").trim()}`,
    fix: isInContainer()
      ? "this container forbids CLONE_NEWUSER: run it with '--security-opt seccomp=unconfined --security-opt apparmor=unconfined' (Docker) or '--privileged', or pass --sandbox process"
      : "check your kernel's user-namespace settings (sysctl user.max_user_namespaces), or pass --sandbox process",
  };
}

function checkTestTools(env: NodeJS.ProcessEnv): MachineFinding[] {
  const forTests = { forTests: true };
  const pytest = spawnSync("python3", ["-m", "pytest", "--version"], { env, stdio: "ignore" }).status === 0;
  return [
    tool(
      "Go",
      ["go"],
      { apt: ["golang-go"], dnf: ["golang"], pacman: ["go"], apk: ["go"] },
      "the go test parser's tests",
      env,
      forTests,
    ),
    tool(
      "iproute2",
      ["ip"],
      { apt: ["iproute2"], dnf: ["iproute"], pacman: ["iproute2"], apk: ["iproute2"] },
      "network tests build namespaces with ip netns",
      env,
      forTests,
    ),
    tool(
      "bats",
      ["bats"],
      { apt: ["bats"], dnf: ["bats"], pacman: ["bash-bats"], apk: ["bats"] },
      "the TAP parser's tests run a real bats suite",
      env,
      forTests,
    ),
    tool(
      "Redis",
      ["redis-server"],
      { apt: ["redis-server"], dnf: ["redis"], pacman: ["redis"], apk: ["redis"] },
      "the BullMQ fleet tests run a real redis-server",
      env,
      forTests,
    ),
    {
      name: "pytest",
      ok: pytest,
      detail: pytest
        ? "python3 -m pytest runs"
        : "python3 -m pytest does not run (the pytest parser's tests)",
      packages: {
        apt: ["python3-pytest"],
        dnf: ["python3-pytest"],
        pacman: ["python-pytest"],
        apk: ["py3-pytest"],
      },
      blocksLocal: false,
      ...forTests,
    },
  ];
}

/** The package-manager commands that install what `findings` lack (update first where needed). */
export function installCommands(manager: PackageManager, findings: MachineFinding[]): string[][] {
  const packages = [...new Set(findings.filter((f) => !f.ok).flatMap((f) => f.packages?.[manager] ?? []))];
  if (packages.length === 0) return [];
  switch (manager) {
    case "apt":
      return [
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", ...packages],
      ];
    case "dnf":
      return [["dnf", "install", "-y", ...packages]];
    case "pacman":
      return [["pacman", "-S", "--needed", "--noconfirm", ...packages]];
    case "apk":
      return [["apk", "add", ...packages]];
  }
}

export function formatFinding(f: MachineFinding, manager: PackageManager | undefined): string {
  const mark = f.ok ? "ok  " : f.blocksLocal ? "MISS" : "warn";
  const pkgs = manager ? f.packages?.[manager] : undefined;
  const fix = f.ok
    ? ""
    : f.fix
      ? ` — fix: ${f.fix}`
      : pkgs
        ? ` — fix: closedloop setup${f.forTests ? " --for-tests" : ""} (installs ${pkgs.join(" ")})`
        : "";
  return `${mark} ${f.name.padEnd(16)} ${f.detail}${fix}`;
}
