// 未诉先办 analysis: 高频事项, 重复诉求率, 诉求预测 and the 潮汐 window plan: calls only; every type is generated
// from the API (schema.d.ts).
import { get, post, query } from "./http";
import type { components, operations } from "./schema";

type Schemas = components["schemas"];
type QueryOf<K extends keyof operations> = NonNullable<operations[K]["parameters"]["query"]>;

export type Topic = Schemas["TopicOut"];
export type TopicMembers = Schemas["TopicMembers"];
export type TopicsAnswer = Schemas["TopicsOut"];
export type RepeatRate = Schemas["RepeatRate"];
/** A period and the filters every analysis takes. */
export type PeriodQuery = Pick<QueryOf<"repeat_rate_v1_insights_repeats_get">, "from" | "to" | "centre" | "category">;
export type ForecastPoint = Schemas["DayPoint"];
export type Backtest = Schemas["BacktestOut"];
export type Peak = Schemas["DayPeak"];
/** The daily forecast (the default granularity; weeks and months answer a PeriodForecastOut). */
export type ForecastAnswer = Schemas["DayForecastOut"];
export type HourPlan = Schemas["HourPlanOut"];
export type DayPlan = Schemas["DayPlanOut"];
export type TidalPlan = Schemas["TidalPlanOut"];
/** The plan's centre and period (the console always names the centre). */
export type PlanQuery = Pick<QueryOf<"get_tidal_plan_v1_insights_tidal_plan_get">, "from" | "to"> & { centre: string };
export type AcceptedPlan = Schemas["AcceptedPlan"];

export const topics = (q: PeriodQuery & Pick<QueryOf<"topics_v1_insights_topics_get">, "min_count" | "limit">) =>
  get<TopicsAnswer>(`/v1/insights/topics${query({ ...q })}`);
export const topicMembers = (q: PeriodQuery & { key: string; offset: number; limit: number }) =>
  get<TopicMembers>(`/v1/insights/topics/members${query({ ...q })}`);
export const repeatRate = (q: PeriodQuery) => get<RepeatRate>(`/v1/insights/repeats${query({ ...q })}`);
export const forecast = (series: string, horizonWeeks: number) =>
  get<ForecastAnswer>(`/v1/insights/forecast${query({ series, horizon_weeks: horizonWeeks })}`);
export const tidalPlan = (q: PlanQuery) => get<TidalPlan>(`/v1/insights/tidal-plan${query({ ...q })}`);
/** The plan as a spreadsheet (the browser downloads it with the session cookie). */
export const tidalPlanExportUrl = (q: PlanQuery, format: "csv" | "xlsx") => `/v1/insights/tidal-plan${query({ ...q, format })}`;
export const acceptPlan = (q: Schemas["AcceptPlanIn"]) => post<AcceptedPlan>("/v1/insights/tidal-plan/accept", q);
