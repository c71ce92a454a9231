import assert from "node:assert/strict";
import { test } from "node:test";
import { isProtectedPath, matchGlob } from "./match-glob.ts";

test("a star matches within one path segment only", () => {
  assert.equal(matchGlob("src/*.js", "src/sum.js"), true);
  assert.equal(matchGlob("src/*.js", "src/lib/sum.js"), false);
  assert.equal(matchGlob("src/*.js", "src/sum.ts"), false);
});

test("a double star matches any number of segments, including none", () => {
  assert.equal(matchGlob("test/**/*.test.js", "test/a.test.js"), true);
  assert.equal(matchGlob("test/**/*.test.js", "test/deep/er/a.test.js"), true);
  assert.equal(matchGlob("**/fixtures/**", "a/b/fixtures/x/y.json"), true);
  assert.equal(matchGlob("test/**/*.test.js", "src/a.test.js"), false);
});

test("a question mark matches exactly one character other than a slash", () => {
  assert.equal(matchGlob("file?.txt", "file1.txt"), true);
  assert.equal(matchGlob("file?.txt", "file12.txt"), false);
  assert.equal(matchGlob("a?b", "a/b"), false);
});

test("a glob without a slash matches the name at any depth", () => {
  assert.equal(matchGlob("*.test.js", "test/deep/sum.test.js"), true);
  assert.equal(matchGlob("package.json", "package.json"), true);
  assert.equal(matchGlob("package.json", "packages/a/package.json"), true);
  assert.equal(matchGlob("*.test.js", "test/sum.js"), false);
});

test("a glob that names a directory protects everything under it", () => {
  assert.equal(matchGlob("test", "test/sum.test.js"), true);
  assert.equal(matchGlob("test/", "test/unit/sum.test.js"), true);
  assert.equal(matchGlob("test/**", "test/unit/sum.test.js"), true);
  assert.equal(matchGlob("test", "testing/sum.test.js"), false);
});

test("leading ./ and / in globs and paths are ignored", () => {
  assert.equal(matchGlob("./test/*.js", "test/a.js"), true);
  assert.equal(matchGlob("/test/*.js", "./test/a.js"), true);
});

test("characters other than * and ? are literal", () => {
  assert.equal(matchGlob("a.b", "axb"), false);
  assert.equal(matchGlob("[ab].js", "[ab].js"), true);
  assert.equal(matchGlob("[ab].js", "a.js"), false);
  assert.equal(matchGlob("(x)+", "(x)+"), true);
});

test("stars backtrack to find a match", () => {
  assert.equal(matchGlob("*a*b*c", "xxaybzzbqc"), true);
  assert.equal(matchGlob("*a*b*c", "xxaybzzbq"), false);
});

test("a path is protected when any glob matches it", () => {
  assert.equal(isProtectedPath(["test/**", "package.json"], "package.json"), true);
  assert.equal(isProtectedPath(["test/**", "package.json"], "src/sum.js"), false);
  assert.equal(isProtectedPath([], "anything"), false);
});
