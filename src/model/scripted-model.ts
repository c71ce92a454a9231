// The scripted model: a test double that replays a fixed list of turns, one per step() call,
// so tests, benches and `closedloop demo` run the whole loop with no key and no network.
// Token usage is estimated from message sizes (≈ chars/4) so budgets and context growth
// behave as they would with a real model.
import { parseToolCall } from "./parse-tool-call.ts";
import { estimateCostUsd } from "./price-table.ts";
import { estimateInputTokens, estimateOutputTokens } from "./token-estimate.ts";
import type {
  ModelClient,
  ModelError,
  ModelErrorKind,
  ModelInfo,
  ModelPrice,
  ModelResult,
  ModelStreamEvent,
  ToolCall,
} from "./types.ts";

export interface ScriptedToolCall {
  name: string;
  args?: unknown;
  /** Raw argument text instead of `args`, to simulate a model sending malformed JSON. */
  argsText?: string;
  id?: string;
}

export interface ScriptedTurn {
  text?: string;
  toolCalls?: ScriptedToolCall[];
  /** Make this call fail as a provider would after its retries (the loop sees ok:false). */
  error?: { kind: ModelErrorKind; message: string; retryable?: boolean };
}

export interface ModelScript {
  turns: ScriptedTurn[];
  /** Pretend prices, so cost budgets can be exercised offline. Default 0. */
  prices?: ModelPrice;
  /** Pretend context window, so context management can be exercised. Default 200,000. */
  contextWindow?: number;
}

export interface ScriptedModelOptions {
  /** Shown as ModelInfo.id; `scripted:<file>` when read from a file. */
  id?: string;
  /** Start at this turn (0-based): the run being resumed already made this many calls. */
  startAtTurn?: number;
}

export interface ScriptedModelClient extends ModelClient {
  /** Index of the next turn to play. */
  readonly nextTurn: number;
  readonly turnsLeft: number;
  resumeAfter(completedCalls: number): void;
}

export const scriptedLabel = "scripted (no LLM)";

export function createScriptedModelClient(
  script: ModelScript,
  options: ScriptedModelOptions = {},
): ScriptedModelClient {
  const turns = script.turns;
  const prices = script.prices ?? { input: 0, output: 0 };
  const info: ModelInfo = {
    id: options.id ?? "scripted:(in memory)",
    provider: "scripted",
    label: scriptedLabel,
    contextWindow: script.contextWindow ?? 200_000,
    inputPricePerMTok: prices.input,
    outputPricePerMTok: prices.output,
    cacheReadPricePerMTok: prices.cacheRead ?? prices.input,
    cacheWritePricePerMTok: prices.cacheWrite ?? prices.input,
    // A test double costs what its script says (nothing by default): known, so budgets bind.
    priceKnown: true,
    isScripted: true,
  };
  let cursor = clampTurn(options.startAtTurn ?? 0, turns.length);

  return {
    info,
    get nextTurn() {
      return cursor;
    },
    get turnsLeft() {
      return turns.length - cursor;
    },
    resumeAfter(completedCalls: number) {
      cursor = clampTurn(completedCalls, turns.length);
    },
    async step(request, onEvent): Promise<ModelResult> {
      const emit = (event: ModelStreamEvent) => onEvent?.(event);
      const failWith = (error: ModelError): ModelResult => {
        emit({ type: "error", error });
        return { ok: false, error };
      };
      if (request.signal?.aborted) {
        return failWith({ kind: "aborted", retryable: false, message: "the model call was aborted" });
      }
      const index = cursor;
      const turn = turns[index];
      if (!turn) {
        return failWith({ kind: "exhausted", retryable: false, message: "scripted model has no more turns" });
      }
      cursor = index + 1;
      if (turn.error) {
        return failWith({
          kind: turn.error.kind,
          message: turn.error.message,
          retryable: turn.error.retryable ?? false,
        });
      }
      const text = turn.text ?? "";
      if (text !== "") emit({ type: "text-delta", text });
      const toolCalls: ToolCall[] = (turn.toolCalls ?? []).map((call, i) => {
        const id = call.id ?? `call_${index + 1}_${i + 1}`;
        const parsed =
          call.argsText !== undefined
            ? parseToolCall(id, call.name, call.argsText)
            : { id, name: call.name, args: call.args ?? {} };
        emit({ type: "tool-call", call: parsed });
        return parsed;
      });
      const usage = {
        inputTokens: estimateInputTokens(request),
        outputTokens: estimateOutputTokens(text, toolCalls),
      };
      const costUsd = estimateCostUsd(info, usage);
      const finishReason = toolCalls.length > 0 ? "tool-calls" : "stop";
      emit({ type: "finish", usage, costUsd, finishReason });
      return { ok: true, response: { text, toolCalls, usage, costUsd, finishReason } };
    },
  };
}

function clampTurn(turn: number, count: number): number {
  if (!Number.isInteger(turn) || turn < 0) throw new Error(`scripted model: bad turn index ${turn}`);
  return Math.min(turn, count);
}
