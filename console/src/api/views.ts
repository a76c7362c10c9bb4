import { get, query } from "./http";

export interface LedgerRow {
  id: string;
  slip_no: string;
  received_at: string;
  channel: string;
  complainant_masked: string;
  category: string;
  classification: string | null;
  status: string;
  departments: string;
  supervisor: string | null;
  due_at: string | null;
  overdue: boolean;
  overdue_level: number;
  last_version: number;
}

export interface LedgerFilter {
  centre?: string;
  received_from?: string;
  received_to?: string;
  status?: string;
  classification?: string;
  department?: string;
  channel?: string;
  overdue?: boolean | null;
  q?: string;
}

export interface Rate {
  numerator: number;
  denominator: number;
  rate: number | null;
}

export interface MetricsGroup {
  group: string;
  label?: string; // the API's Chinese name of the group

  counts: Record<string, number>;
  rates: Record<string, Rate>;
}

export interface MetricsQuery {
  from: string;
  to: string;
  group_by?: string;
  centre?: string;
  department?: string;
  classification?: string;
  channel?: string;
  category?: string;
}

export interface InboxItem {
  complaint_id: string;
  slip_no: string | null;
  clock: string;
  round: number;
  level: number;
  due_at: string;
  escalated_at: string;
  reason: string;
  supervisor: string | null;
}

export const ledger = (f: LedgerFilter, limit = 50, offset = 0) =>
  get<{ items: LedgerRow[]; total: number }>(`/v1/ledger${query({ ...f, limit, offset })}`);
/** The export link for the filtered ledger (the browser downloads it with the session cookie). */
export const ledgerExportUrl = (f: LedgerFilter, format: "csv" | "xlsx") => `/v1/ledger${query({ ...f, format })}`;
export const metrics = (q: MetricsQuery) => get<{ groups: MetricsGroup[] }>(`/v1/metrics${query({ ...q })}`);
export const inbox = () => get<{ items: InboxItem[] }>("/v1/inbox");
