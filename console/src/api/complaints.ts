import { get, post, query } from "./http";

export interface CommandOut {
  id: string;
  slip_no: string;
  status: string;
  version: number;
  notification_id: number | null;
  due_at?: string | null;
}

export interface Complainant {
  type: "person" | "enterprise";
  name: string;
  phone: string;
  id_number?: string | null;
  enterprise_name?: string | null;
  masked?: boolean;
}

export interface Complaint {
  id: string;
  slip_no: string;
  version: number;
  status: string;
  status_label: string;
  channel: string;
  category: string;
  content: string;
  complainant: Complainant;
  received_at: string;
  response_due_at: string;
  classification: string | null;
  classification_label: string | null;
  departments: string[];
  supervisor: string | null;
  dispatched_at: string | null;
  due_at: string | null;
  due_provisional: boolean;
  resolved_at: string | null;
  legal_basis: string | null;
  result: string | null;
  rating: number | null;
  rectification_round: number;
  escalations: Record<string, unknown>[];
}

export interface HistoryItem {
  version: number;
  type: string;
  label: string;
  actor: { id: string; name: string; role: string; department?: string | null };
  occurred_at: string;
  recorded_at: string;
  payload: Record<string, unknown>;
}

export interface ReceiveIn {
  channel: "window" | "online";
  content: string;
  category: string;
  complainant: { type: "person" | "enterprise"; name: string; phone: string; id_number?: string; enterprise_name?: string };
}

const base = (id: string) => `/v1/complaints/${encodeURIComponent(id)}`;
const ifMatch = (version?: number): Record<string, string> => (version ? { "If-Match": `"${version}"` } : {});

export const receive = (body: ReceiveIn, idempotencyKey: string) =>
  post<CommandOut>("/v1/complaints", body, { "Idempotency-Key": idempotencyKey });
export const classify = (id: string, classification: string, reason: string, version?: number) =>
  post<CommandOut>(`${base(id)}/classify`, { classification, reason }, ifMatch(version));
export const sign = (id: string, opinion: string, version?: number) =>
  post<CommandOut>(`${base(id)}/sign`, { opinion }, ifMatch(version));
export const dispatch = (id: string, departments: string[], supervisor: string, instructions: string, version?: number) =>
  post<CommandOut>(`${base(id)}/dispatch`, { departments, supervisor, instructions }, ifMatch(version));
export const resolve = (id: string, result: string, legalBasis: string | null, version?: number) =>
  post<CommandOut>(`${base(id)}/resolve`, { result, legal_basis: legalBasis || null }, ifMatch(version));
export const getComplaint = (id: string, version?: number) => get<Complaint>(`${base(id)}${query({ version })}`);
export const getHistory = (id: string) => get<{ id: string; slip_no: string; events: HistoryItem[] }>(`${base(id)}/history`);
export const due = (from: string, workingDays: number) =>
  get<{ due_at: string; provisional: boolean }>(`/v1/calendar/due${query({ from, working_days: workingDays })}`);
