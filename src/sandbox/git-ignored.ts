// A patch holds what the user would commit: when the workspace is a git repository, paths
// its .gitignore excludes (node_modules after an `npm install`, build output, caches) are
// left out, exactly as `git status` would leave them out. The host repository is only read.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

export async function dropGitIgnored(workspace: string, paths: string[]): Promise<string[]> {
  if (paths.length === 0 || !existsSync(join(workspace, ".git"))) return paths;
  const ignored = await new Promise<Set<string>>((resolve) => {
    const git = spawn("git", ["-C", workspace, "check-ignore", "--stdin", "-z"], {
      stdio: ["pipe", "pipe", "ignore"],
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", GIT_CONFIG_NOSYSTEM: "1", HOME: "/nonexistent" },
    });
    let out = "";
    git.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    // Exit 1 means "nothing ignored"; a missing git or a broken repo keeps every path.
    git.on("error", () => resolve(new Set()));
    git.on("close", (code) => resolve(code === 0 ? new Set(out.split("\0").filter(Boolean)) : new Set()));
    git.stdin.on("error", () => {});
    git.stdin.end(`${paths.join("\0")}\0`);
  });
  return paths.filter((p) => !ignored.has(p));
}
