// Pure helpers for the 未诉先办 pages: chart options (each with 保存为图片) and formatting.
import type { ForecastAnswer, DayPlan, Topic } from "@/api/insights";
import { saveAsImage } from "./metrics";

/** "+50.0%" / "-20.0%" / "新出现" (no count in the period before). */
export function growthText(growth: number | null): string {
  if (growth === null) return "新出现";
  const v = (growth * 100).toFixed(1);
  return growth > 0 ? `+${v}%` : `${v}%`;
}

/** The dates from `from` to `to` inclusive (YYYY-MM-DD, calendar days). */
export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  const d = new Date(`${from}T00:00:00Z`);
  const end = new Date(`${to}T00:00:00Z`);
  while (d <= end && out.length < 400) {
    out.push(d.toISOString().slice(0, 10));
    d.setUTCDate(d.getUTCDate() + 1);
  }
  return out;
}

/** The top topics' daily counts over the period (0 on days without one). */
export function topicTrendOption(topics: Topic[], from: string, to: string, title: string, top = 5) {
  const days = daysBetween(from, to);
  const shown = topics.slice(0, top);
  return {
    title: { text: title, left: "center", textStyle: { fontSize: 14 } },
    toolbox: saveAsImage(title),
    legend: { top: 28, type: "scroll" },
    grid: { top: 70, left: 40, right: 20, bottom: 40 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: days.map((d) => d.slice(5)) },
    yAxis: { type: "value", minInterval: 1, name: "件" },
    series: shown.map((t) => ({ name: t.title, type: "line", data: days.map((d) => t.trend[d] ?? 0) })),
  };
}

/** Volume now and in the period before, per topic. */
export function topicVolumeOption(topics: Topic[], title: string, top = 10) {
  const shown = topics.slice(0, top);
  return {
    title: { text: title, left: "center", textStyle: { fontSize: 14 } },
    toolbox: saveAsImage(title),
    legend: { top: 28 },
    grid: { top: 70, left: 40, right: 20, bottom: 80 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: shown.map((t) => t.title), axisLabel: { interval: 0, rotate: 30 } },
    yAxis: { type: "value", minInterval: 1, name: "件" },
    series: [
      { name: "本期", type: "bar", data: shown.map((t) => t.count) },
      { name: "上期", type: "bar", data: shown.map((t) => t.previous) },
    ],
  };
}

/** MAPE as "12.3%", "—" when the backtest could not run. */
export function mapeText(v: number | null | undefined): string {
  return v === null || v === undefined ? "—" : `${v.toFixed(1)}%`;
}

interface BandParam {
  dataIndex: number;
  name: string;
}

/** The forecast with its 80 % interval as a band (stacked lower + width), peaks marked. */
export function forecastOption(f: ForecastAnswer, title: string) {
  const days = f.points.map((p) => p.day);
  const peakDays = new Set(f.peaks.map((p) => p.day));
  const round1 = (v: number) => Math.round(v * 10) / 10;
  return {
    title: { text: title, left: "center", textStyle: { fontSize: 14 } },
    toolbox: saveAsImage(title),
    legend: { top: 28, data: ["预测值", "80% 预测区间"] },
    grid: { top: 70, left: 50, right: 20, bottom: 60 },
    dataZoom: [{ type: "slider", bottom: 10, height: 18 }],
    tooltip: {
      trigger: "axis",
      formatter: (ps: BandParam[]) => {
        const p = f.points[ps[0]?.dataIndex ?? 0];
        if (!p) return "";
        const peak = peakDays.has(p.day) ? "<br/><b>高峰预警</b>" : "";
        return `${p.day}（${p.kind_label}）<br/>预测：${round1(p.mean)} 件<br/>区间：${round1(p.lower)} – ${round1(p.upper)} 件${peak}`;
      },
    },
    xAxis: { type: "category", data: days, boundaryGap: false },
    yAxis: { type: "value", name: "件/日", min: 0 },
    series: [
      { name: "下限", type: "line", data: f.points.map((p) => round1(p.lower)), stack: "band", symbol: "none", lineStyle: { opacity: 0 } },
      {
        name: "80% 预测区间",
        type: "line",
        data: f.points.map((p) => round1(Math.max(0, p.upper - p.lower))),
        stack: "band",
        symbol: "none",
        lineStyle: { opacity: 0 },
        areaStyle: { color: "rgba(64,158,255,0.2)" },
      },
      {
        name: "预测值",
        type: "line",
        data: f.points.map((p) => ({ value: round1(p.mean), itemStyle: peakDays.has(p.day) ? { color: "#f56c6c" } : undefined })),
        symbolSize: (_: number, params: { dataIndex: number }) => (peakDays.has(days[params.dataIndex]) ? 9 : 4),
        itemStyle: { color: "#409eff" },
      },
    ],
  };
}

/** A day of the 潮汐 plan: windows needed per hour beside the normal number. */
export function tidalDayOption(day: DayPlan, title: string) {
  const hours = day.hours.map((h) => `${String(h.hour).padStart(2, "0")}:00`);
  return {
    title: { text: title, left: "center", textStyle: { fontSize: 14 } },
    toolbox: saveAsImage(title),
    legend: { top: 28 },
    grid: { top: 70, left: 50, right: 50, bottom: 40 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: hours },
    yAxis: [
      { type: "value", name: "窗口", minInterval: 1 },
      { type: "value", name: "到达量" },
    ],
    series: [
      { name: "常设窗口", type: "bar", stack: "w", data: day.hours.map((h) => Math.min(h.windows, h.normal)), itemStyle: { color: "#909399" } },
      { name: "需增开", type: "bar", stack: "w", data: day.hours.map((h) => h.extra), itemStyle: { color: "#f56c6c" } },
      { name: "预计到达量", type: "line", yAxisIndex: 1, data: day.hours.map((h) => Math.round(h.arrivals * 10) / 10) },
    ],
  };
}
