// Where Chromium is: CLOSEDLOOP_CHROMIUM when set, else the first of the names distributions
// give it on PATH (Debian and Arch `chromium`, Fedora `chromium-browser`, Google's builds).
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

export const chromiumNames = ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CLOSEDLOOP_CHROMIUM)
    return existsSync(env.CLOSEDLOOP_CHROMIUM) ? env.CLOSEDLOOP_CHROMIUM : undefined;
  const dirs = (env.PATH ?? "/usr/bin:/bin").split(delimiter).filter(Boolean);
  for (const name of chromiumNames)
    for (const dir of dirs) {
      const path = join(dir, name);
      if (existsSync(path)) return path;
    }
  return undefined;
}
