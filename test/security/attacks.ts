// The escape battery: every attack, in the order it runs. Each category lives in its own
// file; this table is what the battery test and the report iterate over.
import type { Attack } from "./attack-context.ts";
import { channelAttacks } from "./attacks-channel.ts";
import { diffAttacks } from "./attacks-diff.ts";
import { diskBudgetAttacks } from "./attacks-disk-budget.ts";
import { fileAttacks } from "./attacks-files.ts";
import { homeMountAttacks } from "./attacks-home-mounts.ts";
import { deviceAttacks, kernelAttacks } from "./attacks-kernel.ts";
import { networkAttacks } from "./attacks-network.ts";
import { processAttacks } from "./attacks-processes.ts";
import { relayErrorAttacks } from "./attacks-relay-errors.ts";
import { resourceAttacks } from "./attacks-resources.ts";
import { secretAttacks } from "./attacks-secrets.ts";
import { smallHoleAttacks } from "./attacks-small-holes.ts";

export type { Attack, AttackCategory, AttackContext, AttackOutcome } from "./attack-context.ts";

export const attacks: Attack[] = [
  ...fileAttacks,
  ...secretAttacks,
  ...networkAttacks,
  ...processAttacks,
  ...deviceAttacks,
  ...kernelAttacks,
  ...resourceAttacks,
  ...smallHoleAttacks,
  ...diskBudgetAttacks,
  ...homeMountAttacks,
  ...relayErrorAttacks,
  ...channelAttacks,
  ...diffAttacks,
];
