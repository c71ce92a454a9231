import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statfsSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ensureOwnedDir, helperRoot, stateRoot, sweepStaleStateDirs } from "./state-root.ts";

test("state dirs go to a memory filesystem: /run or /dev/shm for root, XDG_RUNTIME_DIR or /tmp for a user", () => {
  const uid = process.getuid?.() ?? 0;
  const parent = stateRoot().replace(/\/[^/]+$/, "");
  assert.equal(stateRoot(), join(parent, `closedloop-${uid}`));
  if (uid === 0) {
    const onTmpfs = ["/run", "/dev/shm"].some((d) => {
      try {
        return statfsSync(d).type === 0x01021994;
      } catch {
        return false;
      }
    });
    assert.equal(statfsSync(parent).type === 0x01021994, onTmpfs);
  } else {
    // A user's runtime dir is a private tmpfs; without one, /tmp (never /dev/shm: logout clears it).
    assert.equal(parent, process.env.XDG_RUNTIME_DIR || "/tmp");
  }
});

test("ensureOwnedDir makes a 0711 folder, and refuses a planted symlink or someone else's folder", () => {
  const base = mkdtempSync(join(tmpdir(), "cl-state-root-"));
  try {
    const mine = join(base, "mine");
    ensureOwnedDir(mine);
    ensureOwnedDir(mine); // twice is fine
    const target = join(base, "target");
    mkdirSync(target);
    symlinkSync(target, join(base, "link"));
    assert.throws(() => ensureOwnedDir(join(base, "link")), /not a folder owned by this user/);
    if (process.getuid?.() === 0) {
      const theirs = join(base, "theirs");
      mkdirSync(theirs);
      chownSync(theirs, 4242, 4242);
      assert.throws(() => ensureOwnedDir(theirs), /someone may have planted it/);
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test("the sweep removes dead hosts' state dirs from the state root and the old (helper) root", () => {
  const dead = spawnSync("true").pid!;
  const live = `sbx-${process.pid}-livetest`;
  const stale = [stateRoot(), helperRoot].map((root) => {
    ensureOwnedDir(root);
    mkdirSync(join(root, `sbx-${dead}-stale`, "merged"), { recursive: true });
    mkdirSync(join(root, live), { recursive: true });
    return root;
  });
  try {
    sweepStaleStateDirs();
    for (const root of stale) {
      assert.equal(existsSync(join(root, `sbx-${dead}-stale`)), false, `swept from ${root}`);
      assert.equal(existsSync(join(root, live)), true, "a live host's dir stays");
    }
  } finally {
    for (const root of stale) rmSync(join(root, live), { recursive: true, force: true });
  }
});
