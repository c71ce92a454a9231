export { UserError } from "./errors.ts";
export { parseDuration } from "./parse-duration.ts";
export { parseSize } from "./parse-size.ts";
