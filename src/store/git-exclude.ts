// Run records stay out of `git status`: when the runs folder is created inside a git
// repository, its top-most `.closedloop` folder (or the runs folder itself, when it has
// another name) is added to the repository's `.git/info/exclude`: local, never committed,
// and the user's .gitignore is left alone. Anything odd (no git, a bare repo) changes nothing.
import { spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, relative, sep } from "node:path";

export function excludeFromGit(runsRoot: string): void {
  const git = (...args: string[]) =>
    spawnSync("git", ["-C", runsRoot, ...args], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", GIT_CONFIG_NOSYSTEM: "1", HOME: "/nonexistent" },
    });
  const top = git("rev-parse", "--show-toplevel");
  const excludeFile = git("rev-parse", "--path-format=absolute", "--git-path", "info/exclude");
  if (top.status !== 0 || excludeFile.status !== 0) return;
  const rel = relative(top.stdout.trim(), runsRoot).split(sep).join("/");
  if (rel === "" || rel.startsWith("..") || isAbsolute(rel)) return;
  const parts = rel.split("/");
  const marker = parts.indexOf(".closedloop");
  const line = marker === -1 ? `/${rel}/` : `/${parts.slice(0, marker + 1).join("/")}/`;
  const path = excludeFile.stdout.trim();
  const current = existsSync(path) ? readFileSync(path, "utf8") : "";
  if (current.split("\n").some((l) => l.trim() === line)) return;
  mkdirSync(dirname(path), { recursive: true });
  const note = "# closedloop's run records (trajectories, patches, reports)\n";
  appendFileSync(path, `${current === "" || current.endsWith("\n") ? "" : "\n"}${note}${line}\n`);
}
