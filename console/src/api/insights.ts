// 未诉先办 analysis: 高频事项, 重复诉求率, 诉求预测 and the 潮汐 window plan.
import { get, post, query } from "./http";

export interface Topic {
  category: string;
  category_label: string;
  label: string[];
  title: string;
  count: number;
  previous: number;
  growth: number | null;
  departments: Record<string, number>;
  trend: Record<string, number>; // Beijing day → count
  samples: string[]; // slip numbers
}

export interface TopicsAnswer {
  from: string;
  to: string;
  previous_from: string;
  previous_to: string;
  topics: Topic[];
}

export interface RepeatRate {
  from: string;
  to: string;
  label: string;
  received: number;
  repeats: number;
  same_person: number;
  similar_text: number;
  rate: number | null;
}

export interface PeriodQuery {
  from?: string;
  to?: string;
  centre?: string;
  category?: string;
}

export interface ForecastPoint {
  day: string;
  mean: number;
  lower: number;
  upper: number;
  kind: string;
  kind_label: string;
}

export interface Backtest {
  origins: number;
  horizon_days: number;
  mape: number | null;
  smape: number | null;
  naive_mape: number | null;
  naive_smape: number | null;
  beats_baseline: boolean;
  note: string;
}

export interface Peak {
  day: string;
  forecast: number;
  normal: number;
  ratio: number;
  lead_days: number;
  kind: string;
  kind_label: string;
}

export interface ForecastAnswer {
  series: string;
  method: string;
  history: { from: string | null; to: string | null; days: number };
  points: ForecastPoint[];
  interval: string;
  normal_by_weekday: Record<string, number>;
  backtest: Backtest | null;
  notes: string[];
  peak_margin: number;
  peaks: Peak[];
}

export interface HourPlan {
  day: string;
  hour: number;
  arrivals: number;
  windows: number;
  normal: number;
  extra: number;
}

export interface DayPlan {
  day: string;
  kind_label: string;
  forecast: number;
  peak: boolean;
  max_windows: number;
  extra_windows: number;
  hours: HourPlan[];
}

export interface TidalPlan {
  centre: string;
  from: string;
  to: string;
  method: string;
  rules: { service_minutes: number; target_wait_minutes: number; service_level: number; normal_windows: number; peak_margin: number };
  peaks: Peak[];
  days: DayPlan[];
  notes: string[];
}

export interface PlanQuery {
  centre: string;
  from?: string;
  to?: string;
}

export interface AcceptedPlan {
  id: string;
  centre: string;
  from: string;
  to: string;
  revision: number;
  windows: Record<string, number>;
  extra_windows: Record<string, number>;
}

export const topics = (q: PeriodQuery & { min_count?: number; limit?: number }) =>
  get<TopicsAnswer>(`/v1/insights/topics${query({ ...q })}`);
export const repeatRate = (q: PeriodQuery) => get<RepeatRate>(`/v1/insights/repeats${query({ ...q })}`);
export const forecast = (series: string, horizonWeeks: number) =>
  get<ForecastAnswer>(`/v1/insights/forecast${query({ series, horizon_weeks: horizonWeeks })}`);
export const tidalPlan = (q: PlanQuery) => get<TidalPlan>(`/v1/insights/tidal-plan${query({ ...q })}`);
/** The plan as a spreadsheet (the browser downloads it with the session cookie). */
export const tidalPlanExportUrl = (q: PlanQuery, format: "csv" | "xlsx") => `/v1/insights/tidal-plan${query({ ...q, format })}`;
export const acceptPlan = (q: { centre: string; from: string; to: string; note: string }) =>
  post<AcceptedPlan>("/v1/insights/tidal-plan/accept", q);
