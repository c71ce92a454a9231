// What the browser probe hands back after each action, and how it is rendered for the model:
// a page summary bounded by construction (a few headings, buttons, links, inputs and a text
// excerpt) rather than the whole DOM, so a step costs a few hundred tokens.
import type { Finding } from "./types.ts";

export interface PageSummary {
  title: string;
  headings: string[];
  buttons: string[];
  links: string[];
  inputs: string[];
  /** Visible text, whitespace collapsed, cut at 1,200 characters. */
  text: string;
  /** Totals when a list was cut, e.g. `{ links: 84 }`. */
  totals?: Record<string, number>;
  /** Why the summary could not be taken (page mid-navigation, crashed …). */
  note?: string;
}

/** What the page showed and said since the previous action. */
export interface BrowserObservation {
  url: string;
  /** HTTP status of the main document, when the last action navigated. */
  status?: number;
  findings: Finding[];
  droppedFindings: number;
  /** Requests to other origins that the probe aborted (deduplicated, capped). */
  blocked: string[];
  /** Why the action itself failed (element not found, navigation refused …). */
  actionError?: string;
  page: PageSummary;
  screenshotPath?: string;
}

// Runs inside the page. A string, because this project compiles without the DOM library.
export const pageSummaryScript = `(() => {
  const max = 12;
  const clean = (s, n) => String(s || "").replace(/\\s+/g, " ").trim().slice(0, n);
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const st = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && st.visibility !== "hidden" && st.display !== "none";
  };
  const totals = {};
  const take = (key, selector, describe) => {
    const out = [];
    let total = 0;
    for (const el of document.querySelectorAll(selector)) {
      if (!visible(el)) continue;
      total++;
      if (out.length < max) { const d = describe(el); if (d) out.push(d); }
    }
    if (total > out.length) totals[key] = total;
    return out;
  };
  const name = (el) => clean(el.getAttribute("aria-label") || el.innerText || el.value || el.title || el.getAttribute("alt"), 60);
  const field = (el) => {
    const label = (el.labels && el.labels[0] && el.labels[0].innerText) || el.getAttribute("aria-label") || el.placeholder || el.name || el.id;
    const kind = el.tagName === "INPUT" ? (el.type || "text") : el.tagName.toLowerCase();
    const value = el.type === "password" ? "" : clean(el.value, 40);
    return clean(kind + (el.id ? "#" + el.id : "") + (label ? ' "' + clean(label, 40) + '"' : "") + (value ? " = " + JSON.stringify(value) : ""), 120);
  };
  const body = document.body;
  return {
    title: clean(document.title, 120),
    headings: take("headings", "h1,h2,h3,h4,h5,h6,[role=heading]", (el) => (/^H\\d$/.test(el.tagName) ? el.tagName.toLowerCase() + " " : "") + clean(el.innerText, 80)),
    buttons: take("buttons", "button,[role=button],input[type=submit],input[type=button],input[type=reset]", name),
    links: take("links", "a[href]", (el) => name(el) + " → " + clean(el.getAttribute("href"), 80)),
    inputs: take("inputs", "input:not([type=hidden]):not([type=submit]):not([type=button]):not([type=reset]),textarea,select,[contenteditable=true]", field),
    text: body ? clean(body.innerText, 1200) : "",
    totals,
  };
})()`;

/** Compact text for the model: problems first, then what the page shows. */
export function formatBrowserObservation(observation: BrowserObservation): string {
  const { page } = observation;
  const out: string[] = [];
  const status = observation.status !== undefined ? ` (HTTP ${observation.status})` : "";
  out.push(`page ${observation.url}${status}${page.title ? ` — "${page.title}"` : ""}`);
  if (observation.actionError) out.push(`action failed: ${observation.actionError}`);
  const problems = observation.findings;
  if (problems.length === 0) out.push("no exceptions, console errors or failed requests");
  else {
    out.push(`${problems.length + observation.droppedFindings} problem(s):`);
    for (const f of problems) {
      const where = f.file ? `${f.file}${f.line ? `:${f.line}` : ""}${f.column ? `:${f.column}` : ""} ` : "";
      out.push(`  ${where}${f.message}`);
    }
    if (observation.droppedFindings > 0) out.push(`  … ${observation.droppedFindings} more not shown`);
  }
  if (observation.blocked.length > 0)
    out.push(`blocked (outside the served origin, no network): ${observation.blocked.join(", ")}`);
  const list = (label: string, items: string[], key: string): void => {
    if (items.length === 0) return;
    const total = page.totals?.[key];
    out.push(`${label}: ${items.join(" | ")}${total ? ` (${items.length} of ${total})` : ""}`);
  };
  list("headings", page.headings, "headings");
  list("buttons", page.buttons, "buttons");
  list("links", page.links, "links");
  list("inputs", page.inputs, "inputs");
  if (page.text) out.push(`text: ${page.text}${page.text.length >= 1200 ? " …" : ""}`);
  if (page.note) out.push(`(page summary unavailable: ${page.note})`);
  if (observation.screenshotPath) out.push(`screenshot: ${observation.screenshotPath}`);
  return out.join("\n");
}
