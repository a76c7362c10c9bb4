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

interface TooltipParam {
  seriesName: string;
  name: string;
  dataIndex: number;
  seriesIndex: number;
  marker?: string;
}

/** A bar chart of the four rates per group; the tooltip shows numerator/denominator. */
export function rateChartOption(groups: MetricsGroup[], labels: Record<string, string>, title: string) {
  const names = groups.map((g) => groupLabel(g.group, labels));
  return {
    title: { text: title, left: "center", textStyle: { fontSize: 14 } },
    toolbox: { feature: { saveAsImage: { title: "保存为图片", name: title, pixelRatio: 2 } } },
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
