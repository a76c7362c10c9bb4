// The filter block shared by 工作台账 and 统计: one set of values, turned into each endpoint's query.
import type { GroupBy, LedgerFilter, MetricsQuery } from "@/api/views";
import { beijingToday, endOfBeijingDay, startOfBeijingDay } from "./time";

/** Which filters a page shows (the API's parameters of the same name). */
export type FilterField = "days" | "centre" | "department" | "category" | "classification" | "channel" | "status" | "overdue" | "q";

export interface FilterValues {
  days: [string, string] | null; // Beijing dates, inclusive
  centre: string;
  department: string;
  category: string;
  classification: string;
  channel: string;
  status: string;
  overdue: "" | "yes" | "no";
  q: string;
}

/** Nothing chosen (every complaint); `days` as given. */
export function emptyFilters(days: [string, string] | null = null): FilterValues {
  return { days, centre: "", department: "", category: "", classification: "", channel: "", status: "", overdue: "", q: "" };
}

/** From 1 January of this year (Beijing) to today: the dashboard's default period. */
export function yearToDate(now: Date = new Date()): [string, string] {
  const today = beijingToday(now);
  return [`${today.slice(0, 4)}-01-01`, today];
}

const set = (v: string) => v || undefined;

/** GET /v1/ledger's filters: received within the Beijing days (both whole days). */
export function ledgerFilter(v: FilterValues): LedgerFilter {
  return {
    received_from: v.days ? startOfBeijingDay(v.days[0]) : undefined,
    received_to: v.days ? endOfBeijingDay(v.days[1]) : undefined,
    centre: set(v.centre),
    status: set(v.status),
    classification: set(v.classification),
    department: set(v.department),
    channel: set(v.channel),
    overdue: v.overdue === "" ? undefined : v.overdue === "yes",
    q: set(v.q),
  };
}

/** GET /v1/metrics's query: the cohort received within the days (`from`, `to` are dates). */
export function metricsQuery(v: FilterValues, groupBy?: GroupBy): MetricsQuery {
  const [from, to] = v.days ?? yearToDate();
  return {
    from,
    to,
    group_by: groupBy || undefined,
    centre: set(v.centre),
    department: set(v.department),
    classification: set(v.classification),
    channel: set(v.channel),
    category: set(v.category),
  };
}
