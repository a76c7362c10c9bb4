// 限期整改通知 (POST /v1/orders …) and the orders ledger with 整改按期完成率: calls only; every type is generated
// from the API (schema.d.ts).
import { get, post, query } from "./http";
import type { components, operations } from "./schema";

type Schemas = components["schemas"];

export type OrderRow = Schemas["OrderRow"];
export type OnTimeRate = Schemas["OnTimeRate"];
export type OrdersPage = Schemas["OrdersPage"];
/** The ledger's filters and the 整改按期完成率 period (`after`: read own writes). */
export type OrdersQuery = NonNullable<operations["ledger_v1_orders_get"]["parameters"]["query"]>;
export type OrderResult = Schemas["OrderAnswer"];
export type IssueIn = Schemas["IssueIn"];
export type FindingKind = IssueIn["finding"]["kind"];

export const FINDING_KINDS: Record<FindingKind, string> = {
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
export const issueOrder = (body: IssueIn) => post<OrderResult>("/v1/orders", body);
export const acknowledgeOrder = (id: string) => post<OrderResult>(`${base(id)}/acknowledge`);
export const reportOrder = (id: string, report: string) =>
  post<OrderResult>(`${base(id)}/report`, { report } satisfies Schemas["ReportIn"]);
export const acceptOrder = (id: string, comment: string) =>
  post<OrderResult>(`${base(id)}/accept`, { comment } satisfies Schemas["AcceptIn"]);
export const returnOrder = (id: string, reason: string, workingDays: number) =>
  post<OrderResult>(`${base(id)}/return`, { reason, working_days: workingDays } satisfies Schemas["OrderReturnIn"]);
