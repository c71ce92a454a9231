// Renders the loop's event stream: on a terminal one status line that updates in place
// (step, current tool, verifier status, failing count, tokens, cost, elapsed) with notable
// events printed above it; when piped, one plain line per event; with --json, the events.
import type { LoopEvent } from "../loop/index.ts";
import type { OutputMode } from "./run-options.ts";

/** A reader that went away (`| head`) must not crash a run or a listing: stop writing instead. */
let stdoutGuarded = false;
export function ignoreClosedStdout(): void {
  if (stdoutGuarded) return;
  stdoutGuarded = true;
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
  });
}

export interface ProgressRenderer {
  onEvent(event: LoopEvent): void;
  close(): void;
}

function clip(text: string, max: number): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function formatTokens(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)}k` : String(n);
}

/** " (87% cached)" when the provider served part of the input from its prompt cache. */
function cachedShare(inputTokens: number, cacheReadTokens: number | undefined): string {
  if (!cacheReadTokens || inputTokens <= 0) return "";
  return ` (${Math.round((100 * cacheReadTokens) / inputTokens)}% cached)`;
}

function describeArgs(args: unknown): string {
  if (args === null || typeof args !== "object") return "";
  const a = args as Record<string, unknown>;
  const main = a.path ?? a.command ?? a.pattern ?? a.summary;
  return typeof main === "string" ? clip(main, 70) : "";
}

/** One line for an event, or undefined for events not worth a line of their own. */
export function formatEventLine(event: LoopEvent): string | undefined {
  switch (event.type) {
    case "run.started": {
      const c = event.config;
      return `run ${event.runId} · model ${c.model.label} (${c.model.id}) · verify: ${c.verify.commands.join("; ")}${c.verify.hidden ? ` + ${c.verify.hidden} hidden` : ""}`;
    }
    case "run.resumed":
      return `resumed at step ${event.fromStep}${event.discardedEvents ? ` (redoing an unfinished step: ${event.discardedEvents} events set aside)` : ""}`;
    case "step.started":
      return `step ${event.step}`;
    case "model.request":
      return `  model ← ${event.messages} messages, ~${formatTokens(event.estimatedTokens)} tokens${event.elidedSteps ? ` (${event.elidedSteps} older steps shrunk)` : ""}`;
    case "model.retry":
      return `  model retry ${event.attempt} in ${event.delayMs}ms: ${event.reason}${event.costUsd ? ` (failed attempt billed ~$${event.costUsd.toFixed(4)})` : ""}`;
    case "model.response": {
      const u = event.usage;
      return `  model → ${event.text ? `"${clip(event.text, 90)}" ` : ""}(${event.toolCalls.length} tool call${event.toolCalls.length === 1 ? "" : "s"}) · ${formatTokens(u.inputTokens)} in${cachedShare(u.inputTokens, u.cacheReadTokens)} · $${event.costUsd.toFixed(4)}`;
    }
    case "model.error":
      return `  model error (${event.kind}): ${event.message}`;
    case "tool.call":
      return `  ${event.call.name} ${describeArgs(event.call.args)}`;
    case "tool.result":
      return `    ${event.isError ? "✗" : "✓"} ${clip(event.content.split("\n")[0] ?? "", 100)} (${event.durationMs}ms)`;
    case "verify.started":
      return undefined;
    case "verify.verdict": {
      const status =
        event.verdict === "pass" ? "PASS" : `${event.verdict.toUpperCase()} · ${event.failingCount} failing`;
      const restored = event.restoredProtected.length
        ? ` · protected paths restored: ${event.restoredProtected.join(", ")}`
        : "";
      const tampered = event.tampering?.length
        ? ` · changes how tests judge: ${event.tampering.map((f) => `${f.file}:${f.line} ${f.touches}`).join("; ")}`
        : "";
      return `  verifier (${event.reason}, ${event.cleanRoom ? "clean room" : "in place"}): ${status}${restored}${tampered} (${(event.durationMs / 1000).toFixed(1)}s)`;
    }
    case "done.claimed":
      return event.accepted
        ? "  done claim accepted: the verifier passed"
        : "  done claim REFUSED: the verifier is red";
    case "checkpoint.saved":
      return `  checkpoint ${event.hash.slice(0, 8)} (${event.files.join(", ") || "no changes"})`;
    case "checkpoint.restored":
      return `  rolled back to ${event.fromStep === 0 ? "the original tree" : `the checkpoint of step ${event.fromStep}`} (${event.failingCount} failing)`;
    case "stall.detected":
      return `  STALL (${event.kind}): ${event.detail} → ${event.action}`;
    case "context.note":
      return `  note to the model: ${clip(event.text, 100)}`;
    case "context.compacted":
      return `  context compacted: steps up to ${event.throughStep} summarized (~${formatTokens(event.tokensBefore)} → ~${formatTokens(event.tokensAfter)} tokens)`;
    case "budget.exhausted":
      return `  budget exhausted: ${event.budget} (limit ${event.limit})`;
    case "step.finished":
      return undefined;
    case "run.finished": {
      const t = event.totals;
      return `${event.verified ? "VERIFIED" : "NOT VERIFIED"} — ${event.reason} · ${event.steps} steps · ${formatTokens(t.inputTokens + t.outputTokens)} tokens${cachedShare(t.inputTokens, t.cacheReadTokens)} · $${t.costUsd.toFixed(4)} · ${(t.elapsedMs / 1000).toFixed(1)}s`;
    }
  }
}

export function createProgressRenderer(
  mode: OutputMode,
  maxSteps: number,
  out: NodeJS.WriteStream = process.stdout,
): ProgressRenderer {
  if (mode === "json") return { onEvent: (e) => out.write(`${JSON.stringify(e)}\n`), close() {} };
  if (mode === "plain")
    return {
      onEvent(event) {
        const line = formatEventLine(event);
        if (line !== undefined) out.write(`${line}\n`);
      },
      close() {},
    };
  return createStatusLine(out, maxSteps);
}

const notable = new Set<LoopEvent["type"]>([
  "run.started",
  "run.resumed",
  "model.response",
  "model.error",
  "verify.verdict",
  "done.claimed",
  "checkpoint.restored",
  "stall.detected",
  "budget.exhausted",
  "run.finished",
]);

function createStatusLine(out: NodeJS.WriteStream, maxSteps: number): ProgressRenderer {
  const state = {
    step: 0,
    maxSteps,
    tool: "starting",
    verifier: "not run",
    tokens: 0,
    inputTokens: 0,
    cacheReadTokens: 0,
    cost: 0,
    elapsedBase: 0,
  };
  const started = Date.now();
  let shown = false;
  const draw = () => {
    const elapsed = ((state.elapsedBase + Date.now() - started) / 1000).toFixed(1);
    const line = `step ${state.step}/${state.maxSteps} · ${state.tool} · verifier ${state.verifier} · ${formatTokens(state.tokens)} tok${cachedShare(state.inputTokens, state.cacheReadTokens)} · $${state.cost.toFixed(4)} · ${elapsed}s`;
    out.write(`\r\x1b[2K${clip(line, (out.columns || 100) - 1)}`);
    shown = true;
  };
  const timer = setInterval(draw, 250);
  timer.unref();
  return {
    onEvent(event) {
      switch (event.type) {
        case "step.started":
          state.step = event.step;
          state.tool = "thinking";
          break;
        case "tool.call":
          state.tool = `${event.call.name} ${describeArgs(event.call.args)}`.trim();
          break;
        case "verify.started":
          state.tool = "verifying in a clean sandbox";
          break;
        case "model.response":
        case "model.retry":
        case "model.error":
          if (!event.usage) break;
          state.tokens += event.usage.inputTokens + event.usage.outputTokens;
          state.inputTokens += event.usage.inputTokens;
          state.cacheReadTokens += event.usage.cacheReadTokens ?? 0;
          state.cost += event.costUsd ?? 0;
          break;
        case "verify.verdict":
          state.tool = "—";
          state.verifier = event.verdict === "pass" ? "green" : `red (${event.failingCount} failing)`;
          break;
        case "step.finished":
          state.tokens = event.totals.inputTokens + event.totals.outputTokens;
          state.inputTokens = event.totals.inputTokens;
          state.cacheReadTokens = event.totals.cacheReadTokens ?? 0;
          state.cost = event.totals.costUsd;
          break;
        default:
          break;
      }
      if (notable.has(event.type)) {
        const line = formatEventLine(event);
        if (line !== undefined) out.write(`\r\x1b[2K${line.trimStart()}\n`);
      }
      if (event.type === "run.finished") {
        clearInterval(timer);
        shown = false;
        return;
      }
      draw();
    },
    close() {
      clearInterval(timer);
      if (shown) out.write("\r\x1b[2K");
    },
  };
}
