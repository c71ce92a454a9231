// closedloop dashboard: the list of runs (/) and one run (/runs/ID), both kept live over
// Server-Sent Events. Plain DOM and hand-written SVG; every text from a run goes in through
// textContent, never as HTML.

const main = document.getElementById("main");
const live = document.getElementById("live");

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children.flat()) if (child !== undefined && child !== null) node.append(child);
  return node;
}

const svgNs = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}) {
  const node = document.createElementNS(svgNs, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  return node;
}

const money = (usd) => `$${(usd ?? 0).toFixed(usd >= 1 ? 2 : 4)}`;
const count = (n) => (n ?? 0).toLocaleString("en-US");
function duration(ms) {
  if (!ms) return "0 s";
  const s = ms / 1000;
  return s < 90 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
const when = (at) => (at ? new Date(at).toLocaleString() : "—");
const badge = (text) => el("span", { class: `badge ${text}` }, text);

function watch(url, handlers) {
  const source = new EventSource(url);
  source.onopen = () => live.classList.add("on");
  source.onerror = () => live.classList.remove("on");
  for (const [name, handler] of Object.entries(handlers))
    source.addEventListener(name, (message) => handler(message.data, message.lastEventId));
  return source;
}

// ---- the list -------------------------------------------------------------------------

function renderList(runs) {
  main.replaceChildren(
    el("h1", {}, "Runs"),
    runs.length === 0
      ? el(
          "p",
          { class: "empty" },
          "No runs yet. Start one with closedloop run or closedloop demo; it appears here live.",
        )
      : el(
          "table",
          { id: "runs" },
          el(
            "thead",
            {},
            el(
              "tr",
              {},
              el("th", {}, "when"),
              el("th", {}, "task"),
              el("th", {}, "model"),
              el("th", {}, "outcome"),
              el("th", { class: "num" }, "steps"),
              el("th", { class: "num" }, "cost"),
              el("th", { class: "num" }, "time"),
            ),
          ),
          el(
            "tbody",
            {},
            runs.map((run) =>
              el(
                "tr",
                { class: "run-row", "data-run": run.id },
                el("td", {}, when(run.startedAt)),
                el("td", {}, el("a", { href: `/runs/${encodeURIComponent(run.id)}` }, run.task || run.id)),
                el("td", {}, run.model ?? ""),
                el("td", {}, badge(run.status === "finished" ? run.outcome : run.status)),
                el("td", { class: "num" }, String(run.steps ?? 0)),
                el("td", { class: "num" }, money(run.costUsd)),
                el("td", { class: "num" }, duration(run.elapsedMs)),
              ),
            ),
          ),
        ),
  );
}

function showList() {
  document.title = "closedloop — runs";
  watch("/api/runs/live", { runs: (data) => renderList(JSON.parse(data)) });
}

// ---- one run: state folded from its events ----------------------------------------------

function createRunState(id) {
  return {
    id,
    config: undefined,
    steps: new Map(), // step → { events: [] }
    points: new Map(), // step → { step, failing, inputTokens, outputTokens, costUsd, contextTokens }
    totals: { inputTokens: 0, outputTokens: 0, costUsd: 0, elapsedMs: 0 },
    failingNow: null,
    finished: undefined,
    lastVerdict: undefined,
    lastPatch: "",
    lastContext: 0,
    stepCount: 0,
  };
}

function pointOf(state, step) {
  let point = state.points.get(step);
  if (!point) {
    point = { step, failing: state.failingNow, ...state.totals, contextTokens: 0 };
    state.points.set(step, point);
  }
  return point;
}

function applyEvent(state, event) {
  const step = event.step ?? 0;
  if (step > 0 && event.type !== "step.finished") {
    if (!state.steps.has(step)) state.steps.set(step, { events: [] });
    state.steps.get(step).events.push(event);
  }
  switch (event.type) {
    case "run.started":
      state.config = event.config;
      break;
    case "model.request":
      pointOf(state, step).contextTokens = event.estimatedTokens;
      state.lastContext = event.estimatedTokens;
      break;
    case "model.response":
      state.totals.inputTokens += event.usage.inputTokens;
      state.totals.outputTokens += event.usage.outputTokens;
      state.totals.costUsd += event.costUsd;
      Object.assign(pointOf(state, step), {
        inputTokens: state.totals.inputTokens,
        outputTokens: state.totals.outputTokens,
        costUsd: state.totals.costUsd,
      });
      break;
    case "verify.verdict":
      state.failingNow = event.failingCount;
      state.lastVerdict = event;
      if (step === 0) state.baseline = event;
      else pointOf(state, step).failing = event.failingCount;
      break;
    case "checkpoint.saved":
      state.lastPatch = event.patch;
      break;
    case "step.finished":
      // The step's totals are the books (they count failed attempts a provider may bill, too).
      state.stepCount = Math.max(state.stepCount, step);
      state.totals = { ...event.totals };
      Object.assign(pointOf(state, step), {
        inputTokens: event.totals.inputTokens,
        outputTokens: event.totals.outputTokens,
        costUsd: event.totals.costUsd,
      });
      break;
    case "run.finished":
      state.finished = event;
      state.totals = { ...event.totals };
      break;
  }
}

// ---- one run: rendering -------------------------------------------------------------------

function plot(title, series, points, legend) {
  const width = 520;
  const height = 170;
  const pad = { left: 40, right: 44, top: 10, bottom: 22 };
  const box = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  const steps = points.map((p) => p.step);
  const maxStep = Math.max(1, ...steps);
  const x = (step) =>
    pad.left +
    ((step - (steps.length > 1 ? 1 : 0)) / Math.max(1, maxStep - (steps.length > 1 ? 1 : 0))) *
      (width - pad.left - pad.right);
  box.append(
    svg("line", {
      class: "axis",
      x1: pad.left,
      y1: height - pad.bottom,
      x2: width - pad.right,
      y2: height - pad.bottom,
    }),
  );
  box.append(
    svg("line", { class: "axis", x1: pad.left, y1: pad.top, x2: pad.left, y2: height - pad.bottom }),
  );
  for (const p of points) {
    const label = svg("text", { x: x(p.step), y: height - 6, "text-anchor": "middle" });
    label.textContent = String(p.step);
    if (points.length <= 30 || p.step % 5 === 0) box.append(label);
  }
  series.forEach((s, index) => {
    const values = points.map((p) => s.value(p)).filter((v) => v !== null && v !== undefined);
    const max = Math.max(s.minMax ?? 1, ...values);
    const y = (v) => height - pad.bottom - (v / max) * (height - pad.top - pad.bottom);
    const scale = svg("text", {
      x: index === 0 ? pad.left - 4 : width - pad.right + 4,
      y: pad.top + 8,
      "text-anchor": index === 0 ? "end" : "start",
    });
    scale.textContent = s.format(max);
    box.append(scale);
    const known = points.filter((p) => s.value(p) !== null && s.value(p) !== undefined);
    if (known.length > 1)
      box.append(
        svg("polyline", {
          class: `line-${s.name}`,
          points: known.map((p) => `${x(p.step)},${y(s.value(p))}`).join(" "),
        }),
      );
    for (const p of known) {
      const dot = svg("circle", {
        class: `pt pt-${s.name}`,
        cx: x(p.step),
        cy: y(s.value(p)),
        r: 3.5,
        "data-step": p.step,
      });
      const tip = svg("title");
      tip.textContent = `step ${p.step}: ${s.format(s.value(p))}`;
      dot.append(tip);
      box.append(dot);
    }
  });
  return el("div", { class: "plot", "data-plot": series[0].name }, el("h3", {}, title, legend ?? ""), box);
}

function renderDiff(patch) {
  if (!patch) return el("p", { class: "empty" }, "No changes yet.");
  return el(
    "pre",
    { class: "diff", id: "diff" },
    patch.split("\n").map((line) => {
      let kind = "";
      if (line.startsWith("diff --git") || line.startsWith("+++") || line.startsWith("---")) kind = "file";
      else if (line.startsWith("@@")) kind = "hunk";
      else if (line.startsWith("+")) kind = "add";
      else if (line.startsWith("-")) kind = "del";
      return el("div", { class: kind }, line || " ");
    }),
  );
}

function readWitness(source) {
  if (!source || typeof source !== "object") return undefined;
  const w = source.witness && typeof source.witness === "object" ? source.witness : source;
  if (!Array.isArray(w.failToPass) && !Array.isArray(w.passToPass)) return undefined;
  return { failToPass: w.failToPass ?? [], passToPass: w.passToPass ?? [] };
}

function renderWitness(state, report) {
  const witness = readWitness(report) ?? readWitness(state.lastVerdict);
  if (!witness)
    return el(
      "p",
      { class: "muted", id: "witness" },
      "No witness recorded for this run (the verifier did not report per-test results).",
    );
  const rows = [
    ...witness.failToPass.map((e) => ["fail → pass", e]),
    ...witness.passToPass.map((e) => ["pass → pass", e]),
  ];
  return el(
    "table",
    { id: "witness" },
    el(
      "thead",
      {},
      el("tr", {}, el("th", {}, "kind"), el("th", {}, "test"), el("th", {}, "before"), el("th", {}, "after")),
    ),
    el(
      "tbody",
      {},
      rows.map(([kind, e]) =>
        el(
          "tr",
          {},
          el("td", {}, kind),
          el("td", {}, el("code", {}, String(e.id))),
          el("td", {}, badge(String(e.before))),
          el("td", {}, badge(String(e.after))),
        ),
      ),
    ),
  );
}

function short(value, max = 400) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max)} … (${text.length - max} more characters)` : text;
}

function renderEvent(event) {
  switch (event.type) {
    case "model.response":
      return el(
        "div",
        { class: "ev model" },
        el("span", { class: "tag" }, "model"),
        el("span", { class: "text" }, event.text || "(no text)"),
      );
    case "tool.call":
      return el(
        "div",
        { class: "ev call" },
        el("span", { class: "tag" }, "tool"),
        el("code", {}, `${event.call.name} ${short(event.call.args ?? "", 200)}`),
      );
    case "tool.result":
      return el(
        "div",
        { class: `ev result${event.isError ? " error" : ""}` },
        el("pre", {}, short(event.content, 1200)),
      );
    case "verify.verdict":
      return el(
        "div",
        { class: `ev verdict ${event.verdict}` },
        el("span", { class: "tag" }, `verdict ${event.verdict}`),
        `${event.failingCount} failing (${event.reason}, ${event.cleanRoom ? "clean room" : "in place"})`,
      );
    case "done.claimed":
      return el(
        "div",
        { class: `ev done ${event.accepted ? "accepted" : "refused"}` },
        el("span", { class: "tag" }, event.accepted ? "done accepted" : "done refused"),
        event.summary,
      );
    case "stall.detected":
      return el(
        "div",
        { class: "ev stall" },
        el("span", { class: "tag" }, `stall: ${event.kind}`),
        `${event.action} — ${event.detail}`,
      );
    case "checkpoint.restored":
      return el(
        "div",
        { class: "ev stall" },
        el("span", { class: "tag" }, "rollback"),
        `to the checkpoint of step ${event.fromStep} (${event.failingCount} failing)`,
      );
    case "budget.exhausted":
      return el(
        "div",
        { class: "ev error" },
        el("span", { class: "tag" }, "budget"),
        `${event.budget}: ${event.used} of ${event.limit}`,
      );
    case "model.error":
      return el(
        "div",
        { class: "ev error" },
        el("span", { class: "tag" }, "model error"),
        `${event.kind}: ${event.message}`,
      );
    case "context.note":
      return el("div", { class: "ev" }, el("span", { class: "tag" }, "note"), event.text);
    default:
      return undefined;
  }
}

function renderRun(state, detail) {
  const c = state.config;
  const finished = state.finished;
  const outcome = finished ? finished.outcome : "running";
  const points = [...state.points.values()].sort((a, b) => a.step - b.step);
  const window = c?.model?.contextWindow ?? 0;
  const contextShare = window ? Math.min(1, state.lastContext / window) : 0;
  const meter = el("div", { class: "meter" }, el("span"));
  meter.firstChild.style.width = `${(contextShare * 100).toFixed(1)}%`;
  const steps = [...state.steps.entries()].sort((a, b) => a[0] - b[0]);
  document.title = `closedloop — ${c?.task ?? state.id}`;
  main.replaceChildren(
    el("p", {}, el("a", { href: "/" }, "← all runs")),
    el("h1", { id: "task" }, c?.task ?? state.id),
    el(
      "div",
      { class: "facts" },
      el("div", { class: "fact" }, el("b", {}, "outcome"), badge(outcome)),
      el("div", { class: "fact" }, el("b", {}, "model"), c?.model?.label ?? "—"),
      el(
        "div",
        { class: "fact" },
        el("b", {}, "steps"),
        el("span", { id: "step-count" }, String(finished?.steps ?? state.stepCount)),
      ),
      el(
        "div",
        { class: "fact" },
        el("b", {}, "tokens"),
        `${count(state.totals.inputTokens)} in · ${count(state.totals.outputTokens)} out`,
      ),
      el("div", { class: "fact" }, el("b", {}, "cost"), money(state.totals.costUsd)),
      el("div", { class: "fact" }, el("b", {}, "time"), duration(state.totals.elapsedMs)),
      el(
        "div",
        { class: "fact" },
        el("b", {}, "failing"),
        `${state.baseline?.failingCount ?? "?"} → ${state.failingNow ?? "?"}`,
      ),
      el(
        "div",
        { class: "fact", title: `${count(state.lastContext)} of ${count(window)} tokens` },
        el("b", {}, "context window"),
        `${(contextShare * 100).toFixed(1)}%`,
        meter,
      ),
    ),
    finished
      ? el("p", { class: "muted" }, finished.reason)
      : el("p", { class: "muted" }, "Running — this page updates live."),
    el(
      "div",
      { class: "plots" },
      plot(
        "Failing tests per step",
        [{ name: "failing", value: (p) => p.failing, format: (v) => String(Math.round(v)), minMax: 1 }],
        points,
      ),
      plot(
        "Tokens and cost per step (cumulative)",
        [
          {
            name: "tokens",
            value: (p) => p.inputTokens + p.outputTokens,
            format: (v) => count(Math.round(v)),
          },
          { name: "cost", value: (p) => p.costUsd, format: (v) => money(v), minMax: 0.0001 },
        ],
        points,
        el(
          "span",
          { class: "legend" },
          el("i", { class: "k-tokens" }),
          "tokens",
          el("i", { class: "k-cost" }),
          "cost",
        ),
      ),
    ),
    el("h2", {}, "Witness"),
    renderWitness(state, detail?.report),
    el("h2", {}, finished ? "Patch" : "Patch so far"),
    renderDiff(finished ? (detail?.patch ?? state.lastPatch) : state.lastPatch),
    el("h2", {}, "Timeline"),
    el(
      "ol",
      { class: "timeline", id: "timeline" },
      steps.map(([step, { events }]) =>
        el(
          "li",
          { class: "step", "data-step": step },
          el("div", { class: "step-head" }, `Step ${step}`),
          events.map(renderEvent),
        ),
      ),
    ),
  );
}

async function showRun(id) {
  const state = createRunState(id);
  let detail;
  let pending = false;
  const redraw = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      renderRun(state, detail);
    });
  };
  const response = await fetch(`/api/runs/${encodeURIComponent(id)}`);
  if (!response.ok) {
    main.replaceChildren(
      el("p", { class: "empty" }, `No run '${id}' in this store.`),
      el("p", {}, el("a", { href: "/" }, "← all runs")),
    );
    return;
  }
  detail = await response.json();
  renderRun(state, detail);
  watch(`/api/runs/${encodeURIComponent(id)}/events`, {
    event: async (data) => {
      const event = JSON.parse(data);
      applyEvent(state, event);
      if (event.type === "run.finished") {
        // report.json and patch.diff are written just after the last event.
        for (let i = 0; i < 20 && !detail?.report; i++) {
          detail = await (await fetch(`/api/runs/${encodeURIComponent(id)}`)).json();
          if (!detail.report) await new Promise((r) => setTimeout(r, 250));
        }
      }
      redraw();
    },
  });
}

const runMatch = /^\/runs\/([^/]+)\/?$/.exec(location.pathname);
if (runMatch) showRun(decodeURIComponent(runMatch[1]));
else showList();
