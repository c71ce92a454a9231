import assert from "node:assert/strict";
import { test } from "node:test";
import { APICallError } from "@ai-sdk/provider";
import {
  classifyFailure,
  classifyHttpStatus,
  computeRetryDelayMs,
  parseRetryAfterMs,
} from "./retry-policy.ts";

const policy = { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 1_000 };

test("Retry-After is read as seconds, as an HTTP date, or as retry-after-ms", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfterMs({ "retry-after": "3" }, now), 3_000);
  assert.equal(parseRetryAfterMs({ "Retry-After": "0.5" }, now), 500);
  assert.equal(parseRetryAfterMs({ "retry-after": "Thu, 01 Jan 2026 00:00:07 GMT" }, now), 7_000);
  assert.equal(parseRetryAfterMs({ "retry-after": "Wed, 31 Dec 2025 23:59:00 GMT" }, now), 0);
  assert.equal(parseRetryAfterMs({ "retry-after-ms": "250", "retry-after": "9" }, now), 250);
  assert.equal(parseRetryAfterMs({ "retry-after": "soon" }, now), undefined);
  assert.equal(parseRetryAfterMs(undefined, now), undefined);
});

test("backoff doubles per retry with jitter and never passes the cap", () => {
  assert.equal(
    computeRetryDelayMs(1, policy, undefined, () => 0),
    50,
  );
  assert.equal(
    computeRetryDelayMs(1, policy, undefined, () => 1),
    100,
  );
  assert.equal(
    computeRetryDelayMs(3, policy, undefined, () => 1),
    400,
  );
  assert.equal(
    computeRetryDelayMs(10, policy, undefined, () => 1),
    1_000,
  );
  for (let i = 0; i < 50; i++) {
    const d = computeRetryDelayMs(2, policy);
    assert.ok(d >= 100 && d <= 200, String(d));
  }
});

test("a server's Retry-After is used as given, up to the cap", () => {
  assert.equal(
    computeRetryDelayMs(1, policy, 700, () => 0),
    700,
  );
  assert.equal(
    computeRetryDelayMs(1, policy, 60_000, () => 0),
    1_000,
  );
});

test("HTTP statuses map to kinds, and only transient ones are retryable", () => {
  const kind = (status: number) => {
    const c = classifyHttpStatus(status, "m");
    return `${c.kind}/${c.retryable}`;
  };
  assert.deepEqual([401, 403, 400, 404, 408, 429, 500, 503, 529].map(kind), [
    "auth/false",
    "auth/false",
    "bad-request/false",
    "provider/false",
    "timeout/true",
    "rate-limit/true",
    "server/true",
    "server/true",
    "server/true",
  ]);
  assert.match(classifyHttpStatus(401, "bad key", "OPENAI_API_KEY").message, /check OPENAI_API_KEY/);
});

test("failures are classified by what happened, not only by status", () => {
  const ctx = { timedOut: false, callerAborted: false, streamStarted: false };
  const rateLimited = new APICallError({
    message: "slow",
    url: "u",
    requestBodyValues: {},
    statusCode: 429,
    responseHeaders: { "retry-after": "2" },
  });
  assert.deepEqual(
    [classifyFailure(rateLimited, ctx).kind, classifyFailure(rateLimited, ctx).retryAfterMs],
    ["rate-limit", 2_000],
  );
  const refused = new APICallError({ message: "Cannot connect", url: "u", requestBodyValues: {} });
  assert.equal(classifyFailure(refused, ctx).kind, "network");
  assert.equal(
    classifyFailure(new TypeError("terminated"), { ...ctx, streamStarted: true }).kind,
    "stream-cut",
  );
  assert.equal(classifyFailure(new Error("x"), { ...ctx, timedOut: true }).kind, "timeout");
  assert.equal(
    classifyFailure(new Error("x"), { ...ctx, timedOut: true, callerAborted: true }).kind,
    "aborted",
  );
  assert.deepEqual(classifyFailure({ type: "overloaded_error", message: "busy" }, ctx).kind, "server");
  assert.deepEqual(classifyFailure({ type: "invalid_request_error", message: "no" }, ctx).retryable, false);
});
