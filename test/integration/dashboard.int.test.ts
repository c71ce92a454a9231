// The dashboard in real Chromium against `closedloop serve`: the list and a run page load with
// no console error and no failed request, the plot has a point per step, the diff is there,
// and a run written by another process appears and shows a new step within a second.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import {
  cliEntry,
  repoRoot,
  type ServeProcess,
  startServe,
  waitUntil,
} from "../../src/mcp/testing/mcp-fixtures.ts";
import { chromiumPath } from "../../src/signals/index.ts";

const root = realpathSync(mkdtempSync(join(tmpdir(), "closedloop-web-")));
const runsDir = join(root, "runs");
/** Where CI keeps the screenshot of a run page (look at it). */
const artifacts = process.env.CLOSEDLOOP_ARTIFACTS ?? join(repoRoot, "test-artifacts");
let serve: ServeProcess;
let browser: Browser;
let demoId: string;
let demoLines: string[];

before(async () => {
  // A real run to look at: the bundled demo, recorded by the real loop (scripted model).
  const demo = spawnSync(process.execPath, [cliEntry, "demo", "--plain", "--runs-dir", runsDir], {
    cwd: root,
    encoding: "utf8",
    timeout: 180_000,
  });
  assert.equal(demo.status, 0, demo.stdout + demo.stderr);
  demoId = readdirSync(runsDir).find((name) => name !== "index.jsonl")!;
  demoLines = readFileSync(join(runsDir, demoId, "events.jsonl"), "utf8")
    .trim()
    .split("\n");
  serve = await startServe(["--runs-dir", runsDir], root);
  browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: ["--no-sandbox"] });
});
after(async () => {
  await browser?.close();
  await serve?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** A page that records every console error, page error and failed or non-2xx request. */
async function openPage(url: string): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => {
    // An EventSource closed by the page going away is not a failure of the server.
    if (!r.url().includes("/events") && !r.url().includes("/live")) problems.push(`failed: ${r.url()}`);
  });
  page.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()}: ${r.url()}`));
  await page.goto(url);
  return { page, problems };
}

const stepsOf = (lines: string[]) =>
  lines.map((l) => JSON.parse(l) as { type: string; step?: number }).filter((e) => e.type === "step.finished")
    .length;

test("the list and a finished run's page load cleanly, with a plot point per step and the diff", async () => {
  const list = await openPage(`${serve.url}/`);
  await list.page.waitForSelector(`tr[data-run="${demoId}"]`, { timeout: 10_000 });
  assert.match((await list.page.textContent(`tr[data-run="${demoId}"]`)) ?? "", /verified/);
  assert.deepEqual(list.problems, []);
  await list.page.close();

  const run = await openPage(`${serve.url}/runs/${demoId}`);
  await run.page.waitForSelector("#timeline .step", { timeout: 10_000 });
  await run.page.waitForSelector("#witness");
  const steps = stepsOf(demoLines);
  assert.ok(steps >= 3);
  assert.equal(await run.page.locator(".pt-failing").count(), steps, "one failing-tests point per step");
  assert.equal(await run.page.locator(".pt-tokens").count(), steps, "one tokens point per step");
  const diff = (await run.page.textContent("#diff")) ?? "";
  assert.match(diff, /\+\s+for \(const item of items\) total \+= item\.price \* item\.quantity;/);
  assert.ok((await run.page.locator("#diff .add").count()) >= 2, "added lines are marked");
  assert.match((await run.page.textContent("#timeline")) ?? "", /done refused/i);
  mkdirSync(artifacts, { recursive: true });
  await run.page.screenshot({ path: join(artifacts, "dashboard-run.png"), fullPage: true });
  assert.deepEqual(run.problems, []);
  await run.page.close();
});

test("a run written by another process appears live, and an appended step shows within a second", async () => {
  const id = "20991231-235959-live01";
  const dir = join(runsDir, id);
  const log = join(dir, "events.jsonl");
  const lastOfStep = (step: number) =>
    demoLines.findIndex((l) => {
      const e = JSON.parse(l) as { type: string; step?: number };
      return e.type === "step.finished" && e.step === step;
    });
  const cut = lastOfStep(2) + 1;
  // This test process is the writer; the dashboard is the `serve` process, so the run is
  // written by another process, as `closedloop run` in a terminal would write it.
  const append = (lines: string[]) => appendFileSync(log, `${lines.join("\n")}\n`);

  const list = await openPage(`${serve.url}/`);
  await list.page.waitForSelector(`tr[data-run="${demoId}"]`);
  mkdirSync(dir, { recursive: true });
  append(demoLines.slice(0, cut));
  await list.page.waitForSelector(`tr[data-run="${id}"]`, { timeout: 3_000 });
  assert.match((await list.page.textContent(`tr[data-run="${id}"]`)) ?? "", /running/);
  assert.deepEqual(list.problems, []);
  await list.page.close();

  const run = await openPage(`${serve.url}/runs/${id}`);
  await run.page.waitForSelector('#timeline .step[data-step="2"]');
  assert.equal(await run.page.locator('#timeline .step[data-step="3"]').count(), 0);
  assert.equal(await run.page.locator(".pt-failing").count(), 2);

  // Half a line first (a writer mid-write): nothing may break, nothing may show yet.
  const rest = demoLines.slice(cut, lastOfStep(3) + 1);
  writeFileSync(log, readFileSync(log, "utf8") + rest[0]!.slice(0, 20));
  await new Promise((r) => setTimeout(r, 400));
  writeFileSync(log, `${readFileSync(log, "utf8")}${rest[0]!.slice(20)}\n`);
  const started = Date.now();
  append(rest.slice(1));
  await run.page.waitForSelector('#timeline .step[data-step="3"]', { timeout: 1_000 });
  const shownAfter = Date.now() - started;
  assert.ok(shownAfter <= 1000, `step 3 showed after ${shownAfter} ms`);
  await waitUntil(
    "a third plot point",
    async () => (await run.page.locator(".pt-failing").count()) === 3,
    1_000,
  );

  // The rest of the run, to the end: the page turns to the outcome without a reload.
  append(demoLines.slice(lastOfStep(3) + 1));
  await waitUntil(
    "the outcome shows",
    async () => /verified/.test((await run.page.textContent(".facts")) ?? ""),
    3_000,
  );
  assert.deepEqual(run.problems, []);
  await run.page.close();
});

test("a reconnect with Last-Event-ID resumes after the events already seen", async () => {
  const read = async (headers: Record<string, string>) => {
    const controller = new AbortController();
    const response = await fetch(`${serve.url}/api/runs/${demoId}/events`, {
      headers,
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    let text = "";
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const chunk = await Promise.race([
        reader.read(),
        new Promise<{ done: true; value: undefined }>((r) =>
          setTimeout(() => r({ done: true, value: undefined }), 500),
        ),
      ]);
      if (chunk.done) break;
      text += new TextDecoder().decode(chunk.value);
    }
    controller.abort();
    return [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  };
  const all = await read({});
  assert.equal(all.length, demoLines.length);
  const resumed = await read({ "last-event-id": "5" });
  assert.deepEqual(
    resumed,
    all.filter((n) => n > 5),
  );
});
