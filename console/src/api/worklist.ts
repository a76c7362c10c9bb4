import { get, query } from "./http";
import type { LedgerRow } from "./views";

/** A department's dispatched complaint, with working hours left to its deadline (negative: overdue). */
export interface DispatchedRow extends LedgerRow {
  working_hours_left: number | null;
  paused?: boolean; // 中止计时: waiting for the person's materials
}

/** An open 反馈 or 回访 clock at the clerk's centre. */
export interface QueueItem {
  complaint_id: string;
  clock: string;
  round: number;
  due_at: string;
  due_provisional: boolean;
  slip_no: string | null;
  status: string | null;
  complainant_masked: string | null;
}

export interface ClerkWorklist {
  intake: LedgerRow[];
  intake_total: number;
  queue: QueueItem[];
}

export interface DepartmentWorklist {
  dispatched: DispatchedRow[];
  total: number;
}

/** GET /v1/worklist: the window clerk's own intake and feedback/call-back queue. */
export const clerkWorklist = (after?: number, limit = 100) =>
  get<ClerkWorklist>(`/v1/worklist${query({ limit, after })}`);
/** What waits to be resolved: a department's open complaints (nearest deadline first), or for a window
 * clerk their own 一般诉求 classified and not yet resolved on the spot. */
export async function toResolve(after?: number, limit = 200): Promise<DispatchedRow[]> {
  const w = await get<Partial<DepartmentWorklist & ClerkWorklist>>(`/v1/worklist${query({ limit, after })}`);
  if (w.dispatched) return w.dispatched;
  return (w.intake ?? [])
    .filter((r) => r.status === "classified" && r.classification === "general")
    .map((r) => ({ ...r, working_hours_left: null }));
}

/** A complaint awaiting the duty leader: `pending` is `return` (退单) or `extension` (延期申请). */
export interface DecisionRow extends Omit<LedgerRow, "departments"> {
  departments: string[]; // the codes (the worklist answers a list)
  pending: string;
}

/** GET /v1/worklist for a duty leader: the 退单 and 延期申请 of the centres they lead, oldest first. */
export async function leaderDecisions(after?: number, limit = 200): Promise<DecisionRow[]> {
  const w = await get<{ decisions?: DecisionRow[] }>(`/v1/worklist${query({ limit, after })}`);
  return w.decisions ?? [];
}
