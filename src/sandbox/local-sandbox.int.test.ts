// The local (bubblewrap) backend against the shared Sandbox contract. If the backend cannot
// start on this machine the suite fails with the preflight message; it is never skipped.
import { runSandboxContract } from "./contract.ts";

runSandboxContract("local");
