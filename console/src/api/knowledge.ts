// 知识库: search, read a revision, draft, revise, publish and retire (duty leader): calls only; every type is
// generated from the API (schema.d.ts).
import { get, post, query } from "./http";
import type { components } from "./schema";

type Schemas = components["schemas"];

/** An entry's fields as sent (policy_basis may be left out: empty). */
export type EntryFields = Omit<Schemas["EntryIn"], "policy_basis"> & Partial<Pick<Schemas["EntryIn"], "policy_basis">>;
export type Entry = Schemas["KnowledgeEntryOut"];
export type Found = Schemas["KnowledgeHit"];

const base = (id: string) => `/v1/knowledge/${encodeURIComponent(id)}`;
const ifMatch = (version?: number): Record<string, string> => (version ? { "If-Match": `"${version}"` } : {});

export const searchKnowledge = (q: string, department?: string) =>
  get<Schemas["KnowledgeHits"]>(`/v1/knowledge${query({ q, department, limit: 20 })}`);
export const readEntry = (id: string, revision?: number) => get<Entry>(`${base(id)}${query({ version: revision })}`);
export const draftEntry = (body: EntryFields) => post<Entry>("/v1/knowledge", body);
export const reviseEntry = (id: string, body: EntryFields, version?: number) => post<Entry>(`${base(id)}/revise`, body, ifMatch(version));
export const publishEntry = (id: string, version?: number) => post<Entry>(`${base(id)}/publish`, {}, ifMatch(version));
export const retireEntry = (id: string, reason: string, version?: number) =>
  post<Entry>(`${base(id)}/retire`, { reason } satisfies Schemas["RetireIn"], ifMatch(version));
