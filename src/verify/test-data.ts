// Test data: the expected values a test reads rather than imports. A jest snapshot rewritten
// to match the wrong output, or a `fixtures/expected.json` edited to agree with the bug,
// passes the test as surely as rewriting the assertion. So the data folders beside a
// protected test or helper are protected as folders (new files in them too), and so is a
// node:test snapshot file (`x.test.js.snapshot`).
//
// "Beside" is the test's own folder and, inside a test folder, each folder above it up to the
// top test folder (`tests/unit/test_a.py` → `tests/unit/fixtures/`, `tests/fixtures/`): data
// in the product's tree that no test sits next to stays the model's.
import { posix } from "node:path";

const dataFolders = [
  "fixtures",
  "__fixtures__",
  "__snapshots__",
  "snapshots",
  "testdata",
  "test-data",
  "test_data",
];
const testFolders = new Set(["test", "tests", "__tests__", "spec", "specs", "testing"]);
const codeFile = /\.(?:[cm]?[jt]sx?|py)$/;

/** Globs of the data folders beside the protected code files (`isTestSide`) of the workspace. */
export function findTestData(files: readonly string[], isTestSide: (path: string) => boolean): string[] {
  const folders = new Set<string>();
  for (const file of files) {
    const dir = posix.dirname(file);
    if (dir !== ".") folders.add(dir);
    for (let up = posix.dirname(dir); up !== "." && !folders.has(up); up = posix.dirname(up)) folders.add(up);
  }
  const known = new Set(files);
  const out = new Set<string>();
  for (const file of files) {
    if (!codeFile.test(file) || !isTestSide(file)) continue;
    if (known.has(`${file}.snapshot`)) out.add(`${file}.snapshot`);
    for (const dir of besideDirs(file))
      for (const name of dataFolders) {
        const folder = dir ? `${dir}/${name}` : name;
        // A trailing `/**` anchors the glob to this folder (a bare name would match at any depth).
        if (folders.has(folder)) out.add(`${folder}/**`);
      }
  }
  return [...out].sort();
}

/** The test's folder, and the folders above it while they are inside a test folder. */
function besideDirs(file: string): string[] {
  const parts = file.split("/").slice(0, -1);
  const top = parts.findIndex((part) => testFolders.has(part));
  const dirs = [parts.join("/")];
  if (top !== -1) for (let n = parts.length - 1; n > top; n--) dirs.push(parts.slice(0, n).join("/"));
  return dirs;
}
