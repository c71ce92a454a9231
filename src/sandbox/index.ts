// Public face of the sandbox module. `createSandbox` picks the backend named in the policy;
// a new backend is one file beside its siblings plus one line in `backends`.
import type { BackendName, Sandbox, SandboxPolicy } from "./types.ts";

export { describeLimitHit, type LimitHit, type LimitRaisers, limitHitsOf } from "./describe-limit-hit.ts";
export {
  PathOutsideWorkspaceError,
  SandboxDiffError,
  SandboxProtocolError,
  SandboxUnavailableError,
} from "./errors.ts";
export { ensureNativeHelpers, findNativeHelpers } from "./native-helpers.ts";
export { NetRuleError, parseNetRules } from "./net-rules.ts";
export { diagnoseUserNamespaces, isInContainer } from "./preflight.ts";
export type * from "./types.ts";
export { defaultLimits } from "./types.ts";

type BackendFactory = (policy: SandboxPolicy) => Promise<Sandbox>;

const backends: Record<BackendName, () => Promise<BackendFactory>> = {
  local: async () => (await import("./local-sandbox.ts")).createLocalSandbox,
  process: async () => (await import("./process-sandbox.ts")).createProcessSandbox,
};

export async function createSandbox(policy: SandboxPolicy): Promise<Sandbox> {
  const factory = await backends[policy.backend]();
  return factory(policy);
}
