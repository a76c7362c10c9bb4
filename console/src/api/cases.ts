// 指导案例: drafted from resolved complaints (personal information replaced), revised, published, printed: calls
// only; every type is generated from the API (schema.d.ts).
import { get, post, query } from "./http";
import type { components } from "./schema";

type Schemas = components["schemas"];

/** A case's text as sent: every field but the title may be left out (the API fills it from the complaints). */
export type CaseText = Partial<Schemas["CaseTextIn"]> & Pick<Schemas["CaseTextIn"], "title">;
/** What redaction replaced: the kind, its placeholder, the original masked (张*, 138****5678), how often. */
export type Replacement = Schemas["Replacement"];
export type GuidanceCase = Schemas["CaseOut"];
export type CaseFound = Schemas["CaseHit"];

const base = (id: string) => `/v1/cases/${encodeURIComponent(id)}`;
const ifMatch = (version?: number): Record<string, string> => (version ? { "If-Match": `"${version}"` } : {});

export const searchCases = (q: string) => get<Schemas["CaseHits"]>(`/v1/cases${query({ q, limit: 50 })}`);
export const readCase = (id: string) => get<GuidanceCase>(base(id));
export const draftCase = (body: CaseText & Pick<Schemas["CaseIn"], "complaint_ids"> & Partial<Pick<Schemas["CaseIn"], "source">>) => post<GuidanceCase>("/v1/cases", body);
export const reviseCase = (id: string, body: CaseText, version?: number) => post<GuidanceCase>(`${base(id)}/revise`, body, ifMatch(version));
export const publishCase = (id: string, version?: number) => post<GuidanceCase>(`${base(id)}/publish`, {}, ifMatch(version));
/** The API's printable page (opened in a new tab with the session cookie). */
export const casePrintUrl = (id: string) => `${base(id)}/print`;
