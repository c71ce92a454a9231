// The helpers are found or compiled with the machine's real C compiler, into the package's
// build/ when it can be written and into the user's cache when it cannot.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ensureNativeHelpers, findNativeHelpers, nativeCacheDir } from "./native-helpers.ts";

const root = new URL("../../", import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), "closedloop-native-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function packageCopy(name: string): string {
  const dir = join(scratch, name);
  mkdirSync(join(dir, "scripts"), { recursive: true });
  cpSync(join(root, "native"), join(dir, "native"), { recursive: true });
  cpSync(join(root, "scripts/build-native.mjs"), join(dir, "scripts/build-native.mjs"));
  return dir;
}

test("missing helpers are compiled into the package's build/ at first use", () => {
  const packageRoot = packageCopy("writable");
  const env = { ...process.env, XDG_CACHE_HOME: join(scratch, "cache-a") };
  assert.equal(findNativeHelpers({ packageRoot, env }), undefined);
  const built = ensureNativeHelpers({ packageRoot, env });
  assert.equal(built.helpers?.dir, join(packageRoot, "build"), built.error);
  for (const file of [built.helpers.launcher, built.helpers.agent, built.helpers.forwarder])
    assert.ok(existsSync(file), file);
  // The preloaded library is a real shared object the loader accepts, not an executable.
  const ld = spawnSync("sh", ["-c", "true"], {
    env: { PATH: "/bin:/usr/bin", LD_PRELOAD: built.helpers.nodump },
    encoding: "utf8",
  });
  assert.equal(ld.stderr, "", "ld.so preloads it without complaint");
  assert.match(readFileSync(built.helpers.nodump).subarray(0, 4).toString("latin1"), /^\x7fELF$/);
  assert.deepEqual(findNativeHelpers({ packageRoot, env }), built.helpers);
});

test("helpers older than their sources (a pulled fix, no prepare) are rebuilt, not run stale", () => {
  const packageRoot = packageCopy("stale");
  const env = { ...process.env, XDG_CACHE_HOME: join(scratch, "cache-d") };
  const first = ensureNativeHelpers({ packageRoot, env });
  assert.ok(first.helpers, first.error);
  const builtAt = statSync(first.helpers.agent).mtimeMs;
  assert.deepEqual(findNativeHelpers({ packageRoot, env }), first.helpers, "fresh helpers are used");
  // As `git pull` leaves it: one source newer than every binary built from the old ones.
  const later = new Date(builtAt + 60_000);
  utimesSync(join(packageRoot, "native", "cl-agent.c"), later, later);
  assert.equal(findNativeHelpers({ packageRoot, env }), undefined, "stale helpers are not offered");
  const again = ensureNativeHelpers({ packageRoot, env });
  assert.equal(again.helpers?.dir, join(packageRoot, "build"), again.error);
  assert.ok(statSync(again.helpers.agent).mtimeMs > builtAt, "the agent was compiled again");
  assert.deepEqual(findNativeHelpers({ packageRoot, env }), again.helpers, "and is fresh from then on");
});

test("a package folder that cannot be written gets its helpers in the user's cache", () => {
  const packageRoot = packageCopy("read-only");
  writeFileSync(join(packageRoot, "build"), "not a folder"); // root ignores mode bits; this cannot be written into
  const env = { ...process.env, XDG_CACHE_HOME: join(scratch, "cache-b") };
  const built = ensureNativeHelpers({ packageRoot, env });
  assert.equal(built.helpers?.dir, nativeCacheDir({ packageRoot, env }), built.error);
  assert.ok(built.helpers.dir.startsWith(join(scratch, "cache-b", "closedloop", "native")));
  assert.ok(existsSync(built.helpers.launcher));
});

test("without a C compiler the outcome says so instead of throwing", () => {
  const packageRoot = packageCopy("no-cc");
  const env = { ...process.env, CC: "/nonexistent/cc", XDG_CACHE_HOME: join(scratch, "cache-c") };
  const built = ensureNativeHelpers({ packageRoot, env });
  assert.equal(built.helpers, undefined);
  assert.match(built.error ?? "", /needs a C compiler: run 'closedloop setup'/);
});
