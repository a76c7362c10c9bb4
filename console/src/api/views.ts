// 工作台账, 统计 and the escalation inbox: calls only; every type is generated from the API (schema.d.ts).
import { get, query } from "./http";
import type { components, operations } from "./schema";

type Schemas = components["schemas"];
type QueryOf<K extends keyof operations> = NonNullable<operations[K]["parameters"]["query"]>;

export type LedgerRow = Schemas["LedgerRow"];
export type LedgerPage = Schemas["LedgerPage"];
/** The ledger's filters (the query without paging and format). */
export type LedgerFilter = Omit<QueryOf<"ledger_v1_ledger_get">, "limit" | "offset" | "cursor" | "format" | "after">;
export type Rate = Schemas["RateOut"];
export type MetricsGroup = Schemas["MetricsGroupOut"];
export type Metrics = Schemas["MetricsOut"];
/** The metrics query; the console always states the period. */
export type MetricsQuery = Omit<QueryOf<"metrics_v1_metrics_get">, "format" | "after" | "from" | "to"> & { from: string; to: string };
export type GroupBy = NonNullable<MetricsQuery["group_by"]>;
export type InboxItem = Schemas["InboxItem"];
export type Inbox = Schemas["InboxOut"];

export const ledger = (f: LedgerFilter, limit = 50, offset = 0) => get<LedgerPage>(`/v1/ledger${query({ ...f, limit, offset })}`);
/** The export link for the filtered ledger (the browser downloads it with the session cookie). */
export const ledgerExportUrl = (f: LedgerFilter, format: "csv" | "xlsx") => `/v1/ledger${query({ ...f, format })}`;
export const metrics = (q: MetricsQuery) => get<Metrics>(`/v1/metrics${query({ ...q })}`);
export const inbox = () => get<Inbox>("/v1/inbox");
