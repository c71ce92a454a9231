import assert from "node:assert/strict";
import { test } from "node:test";
import { diffFailures } from "./failure-diff.ts";
import { failureFingerprint, normalizeForFingerprint } from "./failure-fingerprint.ts";
import type { Finding } from "./types.ts";

const base: Finding[] = [
  {
    source: "node-test",
    kind: "test-failure",
    test: "cart > totals",
    file: "src/cart.ts",
    line: 12,
    column: 5,
    message: "Expected values to be strictly equal: 3 !== 4",
  },
  {
    source: "tsc",
    kind: "compile-error",
    file: "src/a.ts",
    line: 3,
    column: 7,
    message: "TS2304: Cannot find name 'x'.",
  },
];

test("the fingerprint ignores line and column shifts", () => {
  const shifted = base.map((f) => ({ ...f, line: (f.line ?? 0) + 10, column: (f.column ?? 0) + 2 }));
  assert.equal(failureFingerprint(shifted), failureFingerprint(base));
});

test("the fingerprint ignores the order findings come in", () => {
  assert.equal(failureFingerprint([...base].reverse()), failureFingerprint(base));
});

test("timestamps, durations, temp paths, addresses and ports in messages do not change it", () => {
  const at = (text: string): Finding[] => [{ source: "generic", kind: "runtime-error", message: text }];
  assert.equal(
    failureFingerprint(
      at(
        "2026-11-25T16:31:24.123Z timeout after 1532ms reading /tmp/closedloop-abc123/x.json at 0x7fad7d7e40d0 from 127.0.0.1:43123",
      ),
    ),
    failureFingerprint(
      at(
        "2026-11-26T09:02:11.999Z timeout after 87ms reading /tmp/closedloop-zz9/x.json at 0x7f00aa11bb22 from 127.0.0.1:51000",
      ),
    ),
  );
  assert.equal(normalizeForFingerprint("done in 1.5s"), "done in <dur>");
});

test("a different failure, a fixed one, or one more of the same changes it", () => {
  const fp = failureFingerprint(base);
  assert.notEqual(failureFingerprint(base.slice(1)), fp, "one fixed");
  assert.notEqual(failureFingerprint([...base, { ...base[1]!, line: 40 }]), fp, "one more of the same error");
  assert.notEqual(
    failureFingerprint([{ ...base[0]!, message: "Expected values to be strictly equal: 2 !== 4" }, base[1]!]),
    fp,
    "a test that fails differently",
  );
});

test("no findings give an empty fingerprint and warnings do not count", () => {
  assert.equal(failureFingerprint([]), "");
  assert.equal(
    failureFingerprint([
      { source: "eslint", kind: "lint", file: "a.js", line: 1, message: "semi", severity: "warning" },
    ]),
    "",
  );
});

test("a test that now fails in another frame is still the same failing test", () => {
  const before: Finding = {
    source: "jest",
    kind: "test-failure",
    test: "cart > totals",
    file: "src/cart.js",
    line: 3,
    message: "TypeError: x",
  };
  const after: Finding = {
    ...before,
    file: "test/cart.test.js",
    line: 9,
    message: "expect.toBe: expected 5, received 4",
  };
  const diff = diffFailures([before], [after]);
  assert.deepEqual(diff, { fixed: [], added: [], still: ["cart > totals"] });
  assert.notEqual(failureFingerprint([before]), failureFingerprint([after]), "but it fails differently");
});
