// The helper binaries a sandbox runs, copied to a place the sandbox's uid can reach (the
// package folder may not be). One folder per distinct set of binaries, named by their hash
// and written whole under a temporary name, then renamed: two closedloop versions (two
// checkouts, a global install beside a project's) never overwrite each other's agent, and a
// sandbox booting meanwhile never sees a half-copied one. (One shared bin/ did both: a newer
// launcher then started an older agent, or found none.)
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { basename, join } from "node:path";

const staged = new Map<string, string>();

/** The folder under `root` holding exactly `files` (by content), made if missing. */
export function stageHelpers(root: string, files: readonly string[]): string {
  const present = files.filter((file) => existsSync(file));
  const key = present.map((file) => `${file}:${statSync(file).mtimeMs}:${statSync(file).size}`).join("|");
  const known = staged.get(`${root}|${key}`);
  if (known && existsSync(known)) return known;
  const hash = createHash("sha256");
  for (const file of present) hash.update(basename(file)).update("\0").update(readFileSync(file));
  const dir = join(root, `bin-${hash.digest("hex").slice(0, 16)}`);
  if (!present.every((file) => existsSync(join(dir, basename(file))))) {
    const partial = join(root, `.bin-partial-${process.pid}-${randomBytes(4).toString("hex")}`);
    mkdirSync(partial, { mode: 0o755 });
    try {
      for (const file of present) {
        copyFileSync(file, join(partial, basename(file)));
        chmodSync(join(partial, basename(file)), 0o755);
      }
      chmodSync(partial, 0o755);
      renameSync(partial, dir);
    } catch (error) {
      // Another process staged the same set first: theirs is complete, ours is not needed.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
    } finally {
      rmSync(partial, { recursive: true, force: true });
    }
  }
  staged.set(`${root}|${key}`, dir);
  return dir;
}
