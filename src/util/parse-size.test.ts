import assert from "node:assert/strict";
import { test } from "node:test";
import { UserError } from "./errors.ts";
import { parseSize } from "./parse-size.ts";

test("sizes with binary units become bytes", () => {
  assert.equal(parseSize("4096"), 4096);
  assert.equal(parseSize("512m"), 512 * 1024 ** 2);
  assert.equal(parseSize("2G"), 2 * 1024 ** 3);
  assert.equal(parseSize("1.5GiB"), 1.5 * 1024 ** 3);
  assert.equal(parseSize("64MB"), 64 * 1024 ** 2);
  assert.equal(parseSize("10k"), 10240);
  assert.equal(parseSize("100b"), 100);
});

test("text that is not a size is a user error that shows the expected form", () => {
  for (const bad of ["", "m", "12x", "-5m", "1e9", "5 m m"]) {
    assert.throws(
      () => parseSize(bad, "--memory"),
      (e: unknown) => {
        assert.ok(UserError.isInstance(e));
        assert.match((e as Error).message, /^--memory '.*' is not a size; write e\.g\. 512m/);
        return true;
      },
    );
  }
});
