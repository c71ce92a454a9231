// Public face of the signals module: raw output in, small exact feedback out.
// Parsers (parsers/, one file per tool, listed in parsers/registry.ts) turn output into
// findings; the compactor renders them within a token budget, streaming or all at once.
import { type CompactOptions, createOutputCompactor } from "./output-compactor.ts";
import type { CompactFeedback } from "./types.ts";

export { estimateTokens } from "../util/index.ts";
export { diffFailures, type FailureDiff, formatFailureDiff } from "./failure-diff.ts";
export { failureFingerprint, failureKey } from "./failure-fingerprint.ts";
export {
  type CompactOptions,
  createOutputCompactor,
  type OutputCompactor,
  type OutputStream,
} from "./output-compactor.ts";
export { parseJUnitXml } from "./parsers/junit-xml.ts";
export type { ParseResult, ParserName } from "./parsers/output-parser.ts";
export { outputParsers, parsersForCommand } from "./parsers/registry.ts";
export { stripAnsi } from "./strip-ansi.ts";
export type * from "./types.ts";

/** Raw output (whole) → what the model sees. For output that arrives in chunks use `createOutputCompactor`. */
export function compactOutput(raw: string, options: CompactOptions = {}): CompactFeedback {
  const compactor = createOutputCompactor(options);
  compactor.push(raw);
  return compactor.finish();
}
export {
  type BrowserCheckOptions,
  type BrowserCheckResult,
  type BrowserObservation,
  type BrowserProbe,
  type BrowserProbeOptions,
  type BrowserTarget,
  chromiumPath,
  createBrowserProbe,
  formatBrowserObservation,
  type PageSummary,
  runBrowserCheck,
} from "./browser-probe.ts";
export { chromiumNames, findChromium } from "./find-chromium.ts";
export {
  createServerLogWatcher,
  type LogSource,
  type ServerLogDelta,
  type ServerLogWatcher,
  type ServerLogWatcherOptions,
} from "./server-log-watcher.ts";
