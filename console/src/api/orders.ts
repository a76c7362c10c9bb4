// 限期整改通知 (POST /v1/orders …) and the orders ledger with 整改按期完成率.
import { get, post, query } from "./http";

export interface OrderRow {
  id: string;
  unit: string;
  finding_kind: string;
  finding_label: string;
  finding_text: string;
  complaint_id: string | null;
  issuer_id: string;
  issued_at: string;
  round: number;
  status: string;
  status_label: string;
  due_at: string;
  acknowledged_at: string | null;
  reported_at: string | null;
  accepted_at: string | null;
  late_rounds: number;
  escalation_level: number;
  overdue: boolean;
}

export interface OnTimeRate {
  label: string;
  from: string;
  to: string;
  rate: number | null;
  numerator: number;
  denominator: number;
  pending: number;
}

export interface OrdersPage {
  items: OrderRow[];
  total: number;
  finding_labels: Record<string, string>;
  on_time_rate: OnTimeRate;
}

export interface OrdersQuery {
  unit?: string;
  status?: string;
  finding_kind?: string;
  overdue?: boolean;
  issued_from?: string;
  issued_to?: string;
  from?: string; // 整改按期完成率's period (dates)
  to?: string;
  limit?: number;
  offset?: number;
  after?: number; // read own writes: wait until the views include this notification
}

export interface OrderResult {
  id: string;
  unit: string;
  status: string;
  round: number;
  due_at: string;
  version: number;
  notification_id: number | null;
}

export const FINDING_KINDS: Record<string, string> = {
  bad_rating_pattern: "差评集中",
  topic: "热点问题",
  callback_finding: "回访发现",
  free_text: "其他问题",
};

export const ORDER_STATUS_LABELS: Record<string, string> = {
  issued: "已下发",
  acknowledged: "已签收",
  reported: "已报告整改",
  accepted: "已验收",
};

const base = (id: string) => `/v1/orders/${encodeURIComponent(id)}`;

export const orders = (q: OrdersQuery) => get<OrdersPage>(`/v1/orders${query({ ...q })}`);
export const issueOrder = (body: { unit: string; finding: { kind: string; text: string }; working_days: number; complaint_id?: string | null }) =>
  post<OrderResult>("/v1/orders", body);
export const acknowledgeOrder = (id: string) => post<OrderResult>(`${base(id)}/acknowledge`);
export const reportOrder = (id: string, report: string) => post<OrderResult>(`${base(id)}/report`, { report });
export const acceptOrder = (id: string, comment: string) => post<OrderResult>(`${base(id)}/accept`, { comment });
export const returnOrder = (id: string, reason: string, workingDays: number) =>
  post<OrderResult>(`${base(id)}/return`, { reason, working_days: workingDays });
