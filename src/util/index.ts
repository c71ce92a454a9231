export { UserError } from "./errors.ts";
export { estimateTokens } from "./estimate-tokens.ts";
export { findFreePort } from "./find-free-port.ts";
export { isProcessAlive } from "./is-process-alive.ts";
export { parseDuration } from "./parse-duration.ts";
export { parseSize } from "./parse-size.ts";
export { shellQuote, signalExitCode } from "./shell-words.ts";
export { raceTimeout, sleepUnref } from "./timers.ts";
export { countLines, type TruncatedText, truncateMiddle } from "./truncate-middle.ts";
