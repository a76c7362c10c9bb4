// 满意度回访中心: the queue, assignment to a call-back agent, and each call's outcome.
import { get, post, query } from "./http";

export interface CallbackRow {
  complaint_id: string;
  slip_no: string;
  centre: string;
  category: string;
  departments: string;
  complainant_masked: string;
  status: string;
  round: number;
  fed_back_at: string | null;
  callback_due_at: string | null;
  closed_at: string | null;
  assignee: string | null;
  attempts: number;
  next_try_at: string | null;
  task_state: string;
  task_rating: number | null;
  finding: string;
}

export interface QueueQuery {
  kind?: "due" | "spot_check";
  assignee?: string;
  unassigned?: boolean;
  ready?: boolean;
  limit?: number;
  offset?: number;
  after?: number; // read own writes: wait until the views include this notification
}

export interface CallbackResult {
  complaint_id: string;
  state: string;
  state_label: string;
  attempts: number;
  assignee: string | null;
  notification_id: number | null;
}

export interface AttemptIn {
  outcome: "answered" | "no_answer" | "refused" | "wrong_number";
  rating?: number | null;
  comment?: string;
  finding?: string;
}

export const OUTCOME_LABELS: Record<AttemptIn["outcome"], string> = {
  answered: "接通",
  no_answer: "无人接听",
  refused: "拒绝回访",
  wrong_number: "号码错误",
};

export const RATING_LABELS: Record<number, string> = { 5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意" };

export const TASK_STATE_LABELS: Record<string, string> = { open: "待回访", answered: "已回访", refused: "拒绝回访", unreachable: "无法联系" };

const base = (id: string) => `/v1/callbacks/${encodeURIComponent(id)}`;

export const callbackQueue = (q: QueueQuery) =>
  get<{ items: CallbackRow[]; total: number; more: boolean }>(`/v1/callbacks/queue${query({ ...q })}`);
export const callbackSummary = () =>
  get<{ counts: Record<string, Record<string, number>>; state_labels: Record<string, string>; max_attempts: number; spot_check_share: number }>(
    "/v1/callbacks/summary",
  );
export const assignCallback = (complaintId: string, agent: string) => post<CallbackResult>(`${base(complaintId)}/assign`, { agent });
export const recordAttempt = (complaintId: string, body: AttemptIn) => post<CallbackResult>(`${base(complaintId)}/attempts`, body);
