import assert from "node:assert/strict";
import { test } from "node:test";
import { parseToolCall } from "./parse-tool-call.ts";

test("JSON object arguments are parsed", () => {
  assert.deepEqual(parseToolCall("c1", "read_file", '{"path":"a.ts"}'), {
    id: "c1",
    name: "read_file",
    args: { path: "a.ts" },
  });
});

test("empty arguments mean an empty object", () => {
  assert.deepEqual(parseToolCall("c1", "verify", ""), { id: "c1", name: "verify", args: {} });
});

test("unparseable arguments keep the raw text and say why", () => {
  const call = parseToolCall("c1", "edit_file", '{"path": "a.ts", "oldText": ');
  assert.equal(call.args, '{"path": "a.ts", "oldText": ');
  assert.match(call.argsError ?? "", /^arguments are not valid JSON \(/);
});

test("arguments that are JSON but not an object are an error too", () => {
  for (const text of ["[1,2]", '"a.ts"', "null", "3"]) {
    assert.equal(parseToolCall("c", "t", text).argsError, "arguments must be a JSON object", text);
  }
});
