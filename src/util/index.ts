export { UserError } from "./errors.ts";
export { isProcessAlive } from "./is-process-alive.ts";
export { parseDuration } from "./parse-duration.ts";
export { parseSize } from "./parse-size.ts";
export { raceTimeout, sleepUnref } from "./timers.ts";
export { countLines, type TruncatedText, truncateMiddle } from "./truncate-middle.ts";
