// Public face of the dashboard: the run store as live web pages (list, run timeline, plots,
// diff, witness), and the guard every request of `closedloop serve` passes first.
export { createDashboardHandler, type DashboardHandler, type DashboardOptions } from "./dashboard-handler.ts";
export { type EventTail, type TailedLine, tailEventLog } from "./event-tail.ts";
export { createRequestGuard, type RequestGuard, type RequestGuardOptions } from "./request-guard.ts";
