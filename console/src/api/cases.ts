// 指导案例: drafted from resolved complaints (personal information replaced), revised, published, printed.
import { get, post, query } from "./http";

export interface CaseText {
  title: string;
  details: string;
  handling: string;
  steps: string[];
  conclusion: string;
  legal_basis: string;
}

/** What redaction replaced: the kind, its placeholder, the original masked (张*, 138****5678), how often. */
export interface Replacement {
  kind: string;
  label: string;
  placeholder: string;
  shown: string;
  count: number;
}

export interface GuidanceCase extends CaseText {
  id: string;
  version: number;
  status: string;
  status_label: string;
  updated_at: string;
  replacements?: Replacement[];
  sources?: { complaint_id: string; slip_no: string }[];
}

export interface CaseFound {
  id: string;
  title: string;
  summary: string;
  conclusion: string;
  score: number;
}

const base = (id: string) => `/v1/cases/${encodeURIComponent(id)}`;
const ifMatch = (version?: number): Record<string, string> => (version ? { "If-Match": `"${version}"` } : {});

export const searchCases = (q: string) => get<{ items: CaseFound[] }>(`/v1/cases${query({ q, limit: 50 })}`);
export const readCase = (id: string) => get<GuidanceCase>(base(id));
export const draftCase = (body: Partial<CaseText> & { title: string; complaint_ids: string[] }) => post<GuidanceCase>("/v1/cases", body);
export const reviseCase = (id: string, body: Partial<CaseText> & { title: string }, version?: number) =>
  post<GuidanceCase>(`${base(id)}/revise`, body, ifMatch(version));
export const publishCase = (id: string, version?: number) => post<GuidanceCase>(`${base(id)}/publish`, {}, ifMatch(version));
/** The API's printable page (opened in a new tab with the session cookie). */
export const casePrintUrl = (id: string) => `${base(id)}/print`;
