// "The host is unchanged" made checkable: a snapshot of everything the battery planted
// or watches (the workspace tree byte for byte including .git, the planted secrets, the
// host files that links in the workspace point at, the host name, paths that must never
// appear), taken before and after each attack and compared.
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { HostFixture } from "./host-fixture.ts";

export type HostSnapshot = Record<string, string>;

/** Hash of a tree: every entry's path, type, mode and content (or link target). */
export function hashTree(root: string): string {
  const h = createHash("sha256");
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const st = lstatSync(path);
      const r = `${rel}/${name}`;
      h.update(`${r}\0${st.mode}\0`);
      if (st.isSymbolicLink()) h.update(`->${readlinkSync(path)}`);
      else if (st.isDirectory()) walk(path, r);
      else if (st.isFile()) h.update(readFileSync(path));
      else if (!st.isSocket()) h.update(`special:${st.rdev}`);
    }
  };
  walk(root, "");
  return h.digest("hex").slice(0, 16);
}

function hashFile(path: string): string {
  try {
    const st = lstatSync(path);
    return `${st.mode}:${createHash("sha256").update(readFileSync(path)).digest("hex").slice(0, 16)}`;
  } catch (error) {
    return `missing (${(error as NodeJS.ErrnoException).code})`;
  }
}

export function snapshotHost(fixture: HostFixture, attackId: string): HostSnapshot {
  const snap: HostSnapshot = {
    "workspace tree": hashTree(fixture.workspace),
    "workspace .git": hashTree(join(fixture.workspace, ".git")),
    "secret file": hashFile(fixture.secretFile),
    "secret in /root": hashFile(fixture.rootSecretFile),
    "fake ssh key": hashFile(fixture.fakeKeyFile),
    "hardlink target": hashFile(fixture.hardlinkTarget),
    "symlink target dir": readdirSync(fixture.symlinkTargetDir).sort().join(","),
    "host dir": readdirSync(fixture.hostDir).sort().join(","),
    hostname: hostname(),
    "/etc/hostname": hashFile("/etc/hostname"),
  };
  for (const path of fixture.canaries(attackId))
    snap[`canary ${path}`] = existsSync(path) ? "exists" : "absent";
  return snap;
}

/** Human-readable differences; empty when the host is unchanged. */
export function compareSnapshots(before: HostSnapshot, after: HostSnapshot): string[] {
  const changes: string[] = [];
  for (const key of Object.keys(before)) {
    if (before[key] !== after[key]) changes.push(`${key}: ${before[key]} -> ${after[key]}`);
  }
  return changes;
}
