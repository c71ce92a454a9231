// The baseline witness's flags (`--fail-to-pass`, `--pass-to-pass`, `--confirm`) and their
// closedloop.config.json twins, kept beside run-options.ts so that file only lists them.
import { UserError } from "../util/index.ts";
import { defaultConfirmRuns, type WitnessOptions } from "../verify/index.ts";

export interface WitnessFileConfig {
  /** Tests that must go from failing to passing (names as the runner prints them). */
  failToPass?: string[];
  passToPass?: string[];
  /** Extra clean-room runs that must agree before "verified" (default 1, 0 = off). */
  confirm?: number;
}

export const witnessFlagOptions = {
  "fail-to-pass": { type: "string", multiple: true },
  "pass-to-pass": { type: "string", multiple: true },
  confirm: { type: "string" },
} as const;

export const witnessUsage = `  --fail-to-pass NAME test that must go from failing to passing (repeatable; default: every
                      test that fails on your tree now). Needed when the verifier already passes
  --pass-to-pass NAME test that must keep passing, beside all that pass now (repeatable)
  --confirm N         extra clean-room runs a green verdict must survive (default ${defaultConfirmRuns}; 0 = off)`;

interface WitnessFlagValues {
  "fail-to-pass"?: string[];
  "pass-to-pass"?: string[];
  confirm?: string;
}

export function parseWitnessOptions(
  values: WitnessFlagValues,
  config: WitnessFileConfig,
): Required<WitnessOptions> {
  const names = (flag: string, list: unknown): string[] => {
    if (list === undefined) return [];
    if (!Array.isArray(list) || list.some((n) => typeof n !== "string" || n.trim() === ""))
      throw new UserError(`${flag}: expected test names (non-empty strings)`);
    return list as string[];
  };
  const confirmText = values.confirm ?? config.confirm;
  let confirm = defaultConfirmRuns;
  if (confirmText !== undefined) {
    confirm = Number(confirmText);
    if (!Number.isInteger(confirm) || confirm < 0 || confirm > 10)
      throw new UserError(`--confirm ${confirmText}: expected a whole number from 0 (off) to 10`);
  }
  return {
    failToPass: names("--fail-to-pass", values["fail-to-pass"] ?? config.failToPass),
    passToPass: names("--pass-to-pass", values["pass-to-pass"] ?? config.passToPass),
    confirm,
  };
}
