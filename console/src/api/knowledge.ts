// 知识库: search, read a revision, draft, revise, publish and retire (duty leader).
import { get, post, query } from "./http";

export interface EntryFields {
  question: string;
  answer: string;
  policy_basis?: string;
  departments: string[];
  tags: string[];
  sources: string[];
}

export interface Entry extends Required<EntryFields> {
  id: string;
  version: number; // the aggregate's version (If-Match)
  status: string;
  status_label: string;
  revision: number;
  revisions: number;
  published_revision: number | null;
  pending_revision: number | null;
  uses: number;
  updated_at: string;
}

export interface Found {
  entry_id: string;
  revision: number;
  uses: number;
  tags: string[];
  departments: string[];
  question: string;
  answer: string;
  policy_basis: string;
  updated_at: string | null;
  [key: string]: unknown;
}

const base = (id: string) => `/v1/knowledge/${encodeURIComponent(id)}`;
const ifMatch = (version?: number): Record<string, string> => (version ? { "If-Match": `"${version}"` } : {});

export const searchKnowledge = (q: string, department?: string) =>
  get<{ items: Found[] }>(`/v1/knowledge${query({ q, department, limit: 20 })}`);
export const readEntry = (id: string, revision?: number) => get<Entry>(`${base(id)}${query({ version: revision })}`);
export const draftEntry = (body: EntryFields) => post<Entry>("/v1/knowledge", body);
export const reviseEntry = (id: string, body: EntryFields, version?: number) => post<Entry>(`${base(id)}/revise`, body, ifMatch(version));
export const publishEntry = (id: string, version?: number) => post<Entry>(`${base(id)}/publish`, {}, ifMatch(version));
export const retireEntry = (id: string, reason: string, version?: number) => post<Entry>(`${base(id)}/retire`, { reason }, ifMatch(version));
