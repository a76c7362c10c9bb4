import { get, query } from "./http";
import type { LedgerRow } from "./views";

/** A department's dispatched complaint, with working hours left to its deadline (negative: overdue). */
export interface DispatchedRow extends LedgerRow {
  working_hours_left: number | null;
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
/** GET /v1/worklist: a department's open complaints, nearest deadline first. */
export const departmentWorklist = (after?: number, limit = 200) =>
  get<DepartmentWorklist>(`/v1/worklist${query({ limit, after })}`);
