import { get, post, query } from "./http";
import type { components } from "./schema";

// Shapes from the API's OpenAPI document (schema.d.ts, `npm run gen:api`), never written by hand.
type Schemas = components["schemas"];
export type CommandOut = Schemas["CommandOut"];
export type Complainant = Schemas["ComplainantOut"];
export type Complaint = Schemas["ComplaintOut"];
export type HistoryItem = Schemas["HistoryItem"];
export type ReceiveIn = Schemas["ReceiveIn"];
export type DueOut = Schemas["DueOut"];
/** The signature given: 当天值班人员 or 带班领导 (`as`, required of a token holding both). */
export type SignAs = NonNullable<Schemas["SignIn"]["as"]>;

const base = (id: string) => `/v1/complaints/${encodeURIComponent(id)}`;
const ifMatch = (version?: number): Record<string, string> => (version ? { "If-Match": `"${version}"` } : {});

export const receive = (body: ReceiveIn, idempotencyKey: string) =>
  post<CommandOut>("/v1/complaints", body, { "Idempotency-Key": idempotencyKey });
export const classify = (id: string, classification: string, reason: string, version?: number) =>
  post<CommandOut>(`${base(id)}/classify`, { classification, reason }, ifMatch(version));
export const sign = (id: string, opinion: string, as: SignAs, version?: number) =>
  post<CommandOut>(`${base(id)}/sign`, { opinion, as } satisfies Schemas["SignIn"], ifMatch(version));
/** 转办: `supervisor` is the supervisor's user id (their token's `sub`), by which /v1/inbox finds them. */
export const dispatch = (id: string, body: Schemas["DispatchIn"], version?: number) =>
  post<CommandOut>(`${base(id)}/dispatch`, body, ifMatch(version));
export const resolve = (id: string, result: string, legalBasis: string | null, version?: number) =>
  post<CommandOut>(`${base(id)}/resolve`, { result, legal_basis: legalBasis || null }, ifMatch(version));
export const getComplaint = (id: string, version?: number) => get<Complaint>(`${base(id)}${query({ version })}`);
export const getHistory = (id: string) => get<Schemas["HistoryOut"]>(`${base(id)}/history`);
export const due = (from: string, workingDays: number) =>
  get<DueOut>(`/v1/calendar/due${query({ from, working_days: workingDays })}`);

// Handling beside the main line (src/api/routes/complaint_handling.py): 并单, 退单/改派/坚持交办, 延期, 中止计时.
export const merge = (id: string, body: Schemas["MergeIn"], version?: number) =>
  post<CommandOut>(`${base(id)}/merge`, body, ifMatch(version));
export const unmerge = (id: string, reason: string, version?: number) =>
  post<CommandOut>(`${base(id)}/unmerge`, { reason } satisfies Schemas["UnmergeIn"], ifMatch(version));
export const returnComplaint = (id: string, reason: string, version?: number) =>
  post<CommandOut>(`${base(id)}/return`, { reason } satisfies Schemas["ReturnIn"], ifMatch(version));
export const redispatch = (id: string, body: Schemas["RedispatchIn"], version?: number) =>
  post<CommandOut>(`${base(id)}/redispatch`, body, ifMatch(version));
export const insist = (id: string, opinion: string, version?: number) =>
  post<CommandOut>(`${base(id)}/insist`, { opinion } satisfies Schemas["InsistIn"], ifMatch(version));
export const requestExtension = (id: string, days: number, reason: string, version?: number) =>
  post<CommandOut>(`${base(id)}/extension`, { days, reason } satisfies Schemas["ExtensionIn"], ifMatch(version));
export const approveExtension = (id: string, opinion: string, version?: number) =>
  post<CommandOut>(`${base(id)}/extension/approve`, { opinion } satisfies Schemas["ExtensionApproveIn"], ifMatch(version));
export const refuseExtension = (id: string, reason: string, version?: number) =>
  post<CommandOut>(`${base(id)}/extension/refuse`, { reason } satisfies Schemas["ExtensionRefuseIn"], ifMatch(version));
export const pauseClock = (id: string, reason: string, version?: number) =>
  post<CommandOut>(`${base(id)}/pause`, { reason } satisfies Schemas["PauseIn"], ifMatch(version));
export const resumeClock = (id: string, note: string, version?: number) =>
  post<CommandOut>(`${base(id)}/resume`, { note } satisfies Schemas["ResumeIn"], ifMatch(version));

/** 相似事项: other complaints about the same matter (by meaning), most alike first. */
export type SimilarMatter = Schemas["SimilarComplaint"];
export const getSimilar = (id: string) => get<Schemas["SimilarComplaints"]>(`${base(id)}/similar`);
