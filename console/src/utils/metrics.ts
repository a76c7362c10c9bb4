// Pure helpers for the 统计 dashboard: card values and the ECharts option (tested without a browser).
import type { MetricsGroup, Rate } from "@/api/views";
import { RATE_LABELS } from "./labels";
import { percent } from "./time";

export const DASHBOARD_RATES = ["response", "closure", "satisfaction", "on_time_closure"] as const;

/** "12 / 15" — what a rate is made of. */
export function fraction(r: Rate | undefined): string {
  return r ? `${r.numerator} / ${r.denominator}` : "0 / 0";
}

/** The rate as the dashboard shows it ("80.0%", or "—" when nothing is due yet). */
export function rateText(r: Rate | undefined): string {
  return percent(r?.rate ?? null);
}

/** A group key as a label (department/category/channel codes through `labels`; months as they are). */
export function groupLabel(key: string, labels: Record<string, string>): string {
  if (key === "") return "未指定"; // e.g. complaints not yet dispatched, grouped by department
  return labels[key] ?? key;
}

/** A group's name: the API's label when it gave one, else the code through `labels`. */
export function nameOf(g: MetricsGroup, labels: Record<string, string>): string {
  return g.label ?? groupLabel(g.group, labels);
}

interface TooltipParam {
  seriesName: string;
  name: string;
  dataIndex: number;
  seriesIndex: number;
  marker?: string;
}

/** A bar chart of the four rates per group; the tooltip shows numerator/denominator. */
export function rateChartOption(groups: MetricsGroup[], labels: Record<string, string>, title: string) {
  const names = groups.map((g) => nameOf(g, labels));
  return {
    title: { text: title, left: "center", textStyle: { fontSize: 14 } },
    toolbox: saveAsImage(title),
    legend: { top: 28 },
    grid: { top: 70, left: 50, right: 20, bottom: 40 },
    tooltip: {
      trigger: "item",
      formatter: (p: TooltipParam) => {
        const r = groups[p.dataIndex]?.rates[DASHBOARD_RATES[p.seriesIndex]];
        return `${p.name}<br/>${p.seriesName}：${rateText(r)}（${fraction(r)}）`;
      },
    },
    xAxis: { type: "category", data: names, axisLabel: { interval: 0 } },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: DASHBOARD_RATES.map((key) => ({
      name: RATE_LABELS[key],
      type: "bar",
      data: groups.map((g) => {
        const r = g.rates[key]?.rate;
        return r === null || r === undefined ? null : Math.round(r * 1000) / 10;
      }),
    })),
  };
}

/** 保存为图片 for every chart (the file is named after the chart). */
export function saveAsImage(title: string) {
  return { feature: { saveAsImage: { title: "保存为图片", name: title, pixelRatio: 2 } } };
}

const pct = (r: Rate | undefined) => (r?.rate === null || r?.rate === undefined ? null : Math.round(r.rate * 1000) / 10);

interface AxisParam {
  seriesName: string;
  name: string;
  dataIndex: number;
  seriesIndex: number;
  marker?: string;
}

/** The four rates month by month (GET /v1/metrics?group_by=month); the tooltip lists each numerator/denominator. */
export function trendChartOption(months: MetricsGroup[], title: string) {
  return {
    title: { text: title, left: "center", textStyle: { fontSize: 14 } },
    toolbox: saveAsImage(title),
    legend: { top: 28 },
    grid: { top: 70, left: 50, right: 20, bottom: 40 },
    tooltip: {
      trigger: "axis",
      formatter: (ps: AxisParam[]) => {
        const g = months[ps[0]?.dataIndex ?? 0];
        const lines = ps.map((p) => {
          const r = g?.rates[DASHBOARD_RATES[p.seriesIndex]];
          return `${p.marker ?? ""}${p.seriesName}：${rateText(r)}（${fraction(r)}）`;
        });
        return [ps[0]?.name ?? "", ...lines].join("<br/>");
      },
    },
    xAxis: { type: "category", data: months.map((g) => g.label ?? g.group) },
    yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
    series: DASHBOARD_RATES.map((key) => ({
      name: RATE_LABELS[key],
      type: "line",
      connectNulls: false,
      data: months.map((g) => pct(g.rates[key])),
    })),
  };
}

/** Per group: 超期未办结 (due, not resolved) and 逾期办结 (resolved after the deadline), from the closure rates. */
export function overdueCounts(g: MetricsGroup): { open: number; late: number; due: number } {
  const closure = g.rates.closure ?? { numerator: 0, denominator: 0, rate: null };
  const onTime = g.rates.on_time_closure ?? { numerator: 0, denominator: 0, rate: null };
  return { open: closure.denominator - closure.numerator, late: closure.numerator - onTime.numerator, due: closure.denominator };
}

/** 超期 by department: stacked 超期未办结 + 逾期办结 out of the complaints whose deadline has come. */
export function overdueChartOption(byDepartment: MetricsGroup[], labels: Record<string, string>, title: string) {
  const names = byDepartment.map((g) => nameOf(g, labels));
  const counts = byDepartment.map(overdueCounts);
  return {
    title: { text: title, left: "center", textStyle: { fontSize: 14 } },
    toolbox: saveAsImage(title),
    legend: { top: 28 },
    grid: { top: 70, left: 50, right: 20, bottom: 40 },
    tooltip: {
      trigger: "axis",
      formatter: (ps: AxisParam[]) => {
        const c = counts[ps[0]?.dataIndex ?? 0];
        return `${ps[0]?.name ?? ""}<br/>超期未办结：${c?.open ?? 0} 件<br/>逾期办结：${c?.late ?? 0} 件<br/>时限已到：${c?.due ?? 0} 件`;
      },
    },
    xAxis: { type: "category", data: names, axisLabel: { interval: 0 } },
    yAxis: { type: "value", minInterval: 1, name: "件" },
    series: [
      { name: "超期未办结", type: "bar", stack: "overdue", data: counts.map((c) => c.open), itemStyle: { color: "#f56c6c" } },
      { name: "逾期办结", type: "bar", stack: "overdue", data: counts.map((c) => c.late), itemStyle: { color: "#e6a23c" } },
    ],
  };
}

/** 差评率 (bars, %) and 整改轮次 after 差评 (line, right axis) per group; the tooltip shows 差评 / 回访评价. */
export function badRatingChartOption(groups: MetricsGroup[], labels: Record<string, string>, title: string) {
  const names = groups.map((g) => nameOf(g, labels));
  return {
    title: { text: title, left: "center", textStyle: { fontSize: 14 } },
    toolbox: saveAsImage(title),
    legend: { top: 28 },
    grid: { top: 70, left: 50, right: 50, bottom: 40 },
    tooltip: {
      trigger: "axis",
      formatter: (ps: AxisParam[]) => {
        const g = groups[ps[0]?.dataIndex ?? 0];
        const r = g?.rates.bad_rating;
        return `${ps[0]?.name ?? ""}<br/>差评率：${rateText(r)}（${fraction(r)}）<br/>整改轮次：${g?.counts.rectifications ?? 0}`;
      },
    },
    xAxis: { type: "category", data: names, axisLabel: { interval: 0 } },
    yAxis: [
      { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      { type: "value", minInterval: 1, name: "轮次" },
    ],
    series: [
      { name: "差评率", type: "bar", data: groups.map((g) => pct(g.rates.bad_rating)), itemStyle: { color: "#f56c6c" } },
      { name: "整改轮次", type: "line", yAxisIndex: 1, data: groups.map((g) => g.counts.rectifications ?? 0) },
    ],
  };
}

/** One row of the orders ledger, as far as the dashboard reads it. */
export interface OrderSummaryRow {
  unit: string;
  round: number;
  late_rounds: number;
  overdue: boolean;
}

export interface UnitOrders {
  unit: string;
  orders: number;
  rounds: number;
  returned: number; // rounds beyond the first: 退回重新整改
  late: number; // rounds reported after their deadline
  overdue: number; // running past the deadline now
}

/** The orders ledger per unit: orders, rounds, returns, late rounds, overdue now (units by most orders). */
export function ordersByUnit(rows: OrderSummaryRow[]): UnitOrders[] {
  const by = new Map<string, UnitOrders>();
  for (const r of rows) {
    const u = by.get(r.unit) ?? { unit: r.unit, orders: 0, rounds: 0, returned: 0, late: 0, overdue: 0 };
    u.orders += 1;
    u.rounds += r.round;
    u.returned += r.round - 1;
    u.late += r.late_rounds;
    u.overdue += r.overdue ? 1 : 0;
    by.set(r.unit, u);
  }
  return [...by.values()].sort((a, b) => b.orders - a.orders || a.unit.localeCompare(b.unit));
}

/** 整改通知 by unit: orders, rounds and returned rounds, late rounds. */
export function ordersChartOption(units: UnitOrders[], labels: Record<string, string>, title: string) {
  const names = units.map((u) => groupLabel(u.unit, labels));
  const series: [string, keyof UnitOrders][] = [
    ["整改通知", "orders"],
    ["整改轮次", "rounds"],
    ["退回重改", "returned"],
    ["逾期报送轮次", "late"],
  ];
  return {
    title: { text: title, left: "center", textStyle: { fontSize: 14 } },
    toolbox: saveAsImage(title),
    legend: { top: 28 },
    grid: { top: 70, left: 50, right: 20, bottom: 40 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: names, axisLabel: { interval: 0 } },
    yAxis: { type: "value", minInterval: 1 },
    series: series.map(([name, key]) => ({ name, type: "bar", data: units.map((u) => u[key]) })),
  };
}
