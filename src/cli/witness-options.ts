// The baseline witness's flags (`--fail-to-pass`, `--pass-to-pass`, `--confirm`) and their
// closedloop.config.json keys (failToPass, passToPass, confirm), kept beside run-options.ts so
// its flag table only spreads them in.
import { UserError } from "../util/index.ts";
import { defaultConfirmRuns, type WitnessOptions } from "../verify/index.ts";
import type { FlagTable } from "./flag-table.ts";
import { listOf, type PickValue, textOf } from "./sandbox-flags.ts";

export const witnessFlags = {
  "fail-to-pass": {
    value: "NAME",
    multiple: true,
    help: "test that must go from failing to passing (default: every test that fails on\nyour tree now); needed when the verifier already passes",
    configKey: "failToPass",
  },
  "pass-to-pass": {
    value: "NAME",
    multiple: true,
    help: "test that must keep passing, beside all that pass now",
    configKey: "passToPass",
  },
  confirm: {
    value: "N",
    help: `extra clean-room runs a green verdict must survive (default ${defaultConfirmRuns}; 0 = off)`,
    configKey: "confirm",
  },
} as const satisfies FlagTable;

export function parseWitnessOptions(pick: PickValue): Required<WitnessOptions> {
  const names = (flag: "fail-to-pass" | "pass-to-pass"): string[] => {
    const list = listOf(pick(flag));
    if (list.some((name) => name.trim() === ""))
      throw new UserError(`--${flag}: a test name cannot be empty`);
    return list;
  };
  const picked = pick("confirm");
  let confirm = defaultConfirmRuns;
  if (picked !== undefined) {
    const text = textOf(picked);
    confirm = Number(text);
    if (text.trim() === "" || !Number.isInteger(confirm) || confirm < 0 || confirm > 10)
      throw new UserError(`${picked.label} ${text}: expected a whole number from 0 (off) to 10`);
  }
  return { failToPass: names("fail-to-pass"), passToPass: names("pass-to-pass"), confirm };
}
