// Sizes as people write them on a command line: `512m`, `2G`, `1.5GiB`, `64MB`, `4096`.
// Units are binary (k = 1024), as memory limits in cgroups and docker are.
import { UserError } from "./errors.ts";

const units: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Bytes in `text`; throws a UserError naming `what` when it is not a size. */
export function parseSize(text: string, what = "size"): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*$/i.exec(text);
  const unit = match ? units[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new UserError(`${what} '${text}' is not a size; write e.g. 512m, 2g or 1048576`);
  }
  const bytes = Math.round(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new UserError(`${what} '${text}' is too large`);
  return bytes;
}
