import { get, query } from "./http";
import type { LedgerRow } from "./views";
import type { components } from "./schema";

type Schemas = components["schemas"];

/** A department's dispatched complaint, with working hours left to its deadline (negative: overdue). */
export type DispatchedRow = Schemas["DispatchedRow"];
/** An open 反馈 or 回访 clock at the clerk's centre. */
export type QueueItem = Schemas["QueueItem"];
/** GET /v1/worklist: only the caller's fields are sent (a clerk's, a department's or a duty leader's). */
export type Worklist = Schemas["WorklistOut"];
export type ClerkWorklist = { [K in "intake" | "intake_total" | "queue"]: NonNullable<Worklist[K]> };
/** A complaint awaiting the duty leader: `pending` is `return` (退单) or `extension` (延期申请). */
export type DecisionRow = LedgerRow;

/** GET /v1/worklist: the window clerk's own intake and feedback/call-back queue. */
export const clerkWorklist = (after?: number, limit = 100) =>
  get<ClerkWorklist>(`/v1/worklist${query({ limit, after })}`);
/** What waits to be resolved: a department's open complaints (nearest deadline first), or for a window
 * clerk their own 一般性问题 classified and not yet resolved on the spot. */
export async function toResolve(after?: number, limit = 200): Promise<DispatchedRow[]> {
  const w = await get<Worklist>(`/v1/worklist${query({ limit, after })}`);
  if (w.dispatched) return w.dispatched;
  return (w.intake ?? [])
    .filter((r) => r.status === "classified" && r.classification === "general")
    .map((r) => ({ ...r, working_hours_left: null }));
}

/** GET /v1/worklist for a duty leader: the 退单 and 延期申请 of the centres they lead, oldest first. */
export async function leaderDecisions(after?: number, limit = 200): Promise<DecisionRow[]> {
  const w = await get<Worklist>(`/v1/worklist${query({ limit, after })}`);
  return w.decisions ?? [];
}
