import { describe, expect, it } from "vitest";
import type { MetricsGroup, Rate } from "@/api/views";
import {
  badRatingChartOption,
  nameOf,
  ordersByUnit,
  ordersChartOption,
  overdueChartOption,
  overdueCounts,
  trendChartOption,
} from "@/utils/metrics";
import { emptyFilters, ledgerFilter, metricsQuery, yearToDate } from "@/utils/filters";

const rate = (numerator: number, denominator: number): Rate => ({ numerator, denominator, rate: denominator ? numerator / denominator : null });

function group(key: string, rates: Record<string, Rate>, counts: Record<string, number> = {}, label?: string): MetricsGroup {
  // a group without the API's label (nameOf falls back to the code through the labels)
  return { group: key, label, counts: { received: 0, rectifications: 0, ...counts }, rates } as MetricsGroup;
}

describe("overdue from the closure rates", () => {
  it("splits the due complaints into 超期未办结 and 逾期办结", () => {
    // 10 due: 7 resolved (5 in time, 2 late), 3 not resolved
    const g = group("market", { closure: rate(7, 10), on_time_closure: rate(5, 10) });
    expect(overdueCounts(g)).toEqual({ open: 3, late: 2, due: 10 });
    const opt = overdueChartOption([g], { market: "市场监管" }, "超期（按部门）");
    expect(opt.xAxis.data).toEqual(["市场监管"]);
    expect(opt.series.map((s) => s.data)).toEqual([[3], [2]]);
    expect(opt.toolbox.feature.saveAsImage.name).toBe("超期（按部门）");
    expect(opt.tooltip.formatter([{ seriesName: "超期未办结", name: "市场监管", dataIndex: 0, seriesIndex: 0 }])).toBe(
      "市场监管<br/>超期未办结：3 件<br/>逾期办结：2 件<br/>时限已到：10 件",
    );
  });
  it("counts nothing for a group with no rates yet", () => {
    expect(overdueCounts(group("tax", {}))).toEqual({ open: 0, late: 0, due: 0 });
  });
});

describe("the month trend", () => {
  it("plots each rate in percent and lists numerator/denominator per rate on hover", () => {
    const months = [
      group("2025-08", { response: rate(1, 2), closure: rate(0, 0) }, {}, "2025年8月"),
      group("2025-09", { response: rate(3, 3) }, {}, "2025年9月"),
    ];
    const opt = trendChartOption(months, "按月");
    expect(opt.xAxis.data).toEqual(["2025年8月", "2025年9月"]);
    expect(opt.series[0].data).toEqual([50, 100]);
    expect(opt.series[1].data).toEqual([null, null]); // 0 / 0 is no rate, not 0 %
    const tip = opt.tooltip.formatter([
      { seriesName: "响应率", name: "2025年8月", dataIndex: 0, seriesIndex: 0 },
      { seriesName: "办结率", name: "2025年8月", dataIndex: 0, seriesIndex: 1 },
    ]);
    expect(tip).toBe("2025年8月<br/>响应率：50.0%（1 / 2）<br/>办结率：—（0 / 0）");
  });
});

describe("差评 and rectification", () => {
  it("shows 差评率 with its fraction and the rectification rounds", () => {
    const g = group("hotline", { bad_rating: rate(1, 4) }, { rectifications: 2 });
    const opt = badRatingChartOption([g], { hotline: "热线" }, "差评");
    expect(opt.series[0].data).toEqual([25]);
    expect(opt.series[1].data).toEqual([2]);
    expect(opt.tooltip.formatter([{ seriesName: "差评率", name: "热线", dataIndex: 0, seriesIndex: 0 }])).toBe(
      "热线<br/>差评率：25.0%（1 / 4）<br/>整改轮次：2",
    );
  });
  it("sums the orders ledger per unit: rounds beyond the first are returns", () => {
    const units = ordersByUnit([
      { unit: "market", round: 1, late_rounds: 0, overdue: false },
      { unit: "market", round: 3, late_rounds: 1, overdue: true },
      { unit: "tax", round: 1, late_rounds: 0, overdue: false },
    ]);
    expect(units).toEqual([
      { unit: "market", orders: 2, rounds: 4, returned: 2, late: 1, overdue: 1 },
      { unit: "tax", orders: 1, rounds: 1, returned: 0, late: 0, overdue: 0 },
    ]);
    const opt = ordersChartOption(units, { market: "市场监管" }, "整改通知");
    expect(opt.xAxis.data).toEqual(["市场监管", "tax"]);
    expect(opt.series.map((s) => s.name)).toEqual(["整改通知", "整改轮次", "退回重改", "逾期报送轮次"]);
  });
});

describe("group names", () => {
  it("prefers the API's label, else the code through the reference", () => {
    expect(nameOf(group("market", {}, {}, "市场监管局"), { market: "市场监管" })).toBe("市场监管局");
    expect(nameOf(group("market", {}), { market: "市场监管" })).toBe("市场监管");
    expect(nameOf(group("", {}), {})).toBe("未指定");
  });
});

describe("the shared filter block", () => {
  it("turns the same values into the ledger's and the metrics' queries", () => {
    const v = { ...emptyFilters(["2025-09-01", "2025-09-30"]), department: "market", channel: "window", overdue: "yes" as const, category: "tax" };
    expect(ledgerFilter(v)).toEqual({
      received_from: "2025-09-01T00:00:00+08:00",
      received_to: "2025-09-30T23:59:59+08:00",
      centre: undefined,
      status: undefined,
      classification: undefined,
      department: "market",
      channel: "window",
      overdue: true,
      q: undefined,
    });
    expect(metricsQuery(v, "channel")).toEqual({
      from: "2025-09-01",
      to: "2025-09-30",
      group_by: "channel",
      centre: undefined,
      department: "market",
      classification: undefined,
      channel: "window",
      category: "tax",
    });
  });
  it("defaults the dashboard to this year in Beijing", () => {
    // 2025-12-31 17:00 UTC is already 1 January 2026 in Beijing
    expect(yearToDate(new Date("2025-12-31T17:00:00Z"))).toEqual(["2026-01-01", "2026-01-01"]);
    expect(ledgerFilter(emptyFilters()).received_from).toBeUndefined();
  });
});
