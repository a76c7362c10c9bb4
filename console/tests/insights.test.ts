import { describe, expect, it } from "vitest";
import type { DayPlan, ForecastAnswer, Topic } from "@/api/insights";
import { daysBetween, forecastOption, growthText, mapeText, tidalDayOption, topicTrendOption, topicVolumeOption } from "@/utils/insights";
import { caseText, loadRecent, rememberIn, saveRecent, splitList } from "@/utils/recent";
import { dataUrlToBlob, imageName } from "@/utils/charts";

const topic = (title: string, count: number, previous: number, trend: Record<string, number>): Topic => ({
  category: "housing",
  category_label: "住房城建",
  label: title.split("、"),
  title,
  count,
  previous,
  growth: previous ? (count - previous) / previous : null,
  departments: {},
  trend,
  samples: [],
  key: "",
});

describe("topics", () => {
  it("writes growth with its sign, and 新出现 without a previous count", () => {
    expect(growthText(0.5)).toBe("+50.0%");
    expect(growthText(-0.2)).toBe("-20.0%");
    expect(growthText(0)).toBe("0.0%");
    expect(growthText(null)).toBe("新出现");
  });
  it("fills every day of the period, 0 where a topic had nothing", () => {
    expect(daysBetween("2025-02-27", "2025-03-02")).toEqual(["2025-02-27", "2025-02-28", "2025-03-01", "2025-03-02"]);
    const t = topic("物业、电梯", 3, 1, { "2025-09-01": 2, "2025-09-03": 1 });
    const opt = topicTrendOption([t], "2025-09-01", "2025-09-03", "趋势");
    expect(opt.xAxis.data).toEqual(["09-01", "09-02", "09-03"]);
    expect(opt.series[0]).toMatchObject({ name: "物业、电梯", data: [2, 0, 1] });
    expect(opt.toolbox.feature.saveAsImage.name).toBe("趋势");
  });
  it("compares this period with the one before", () => {
    const opt = topicVolumeOption([topic("a", 3, 1, {}), topic("b", 2, 0, {})], "量");
    expect(opt.series.map((s) => s.data)).toEqual([
      [3, 2],
      [1, 0],
    ]);
  });
});

describe("forecast", () => {
  const answer: ForecastAnswer = {
    series: "all",
    granularity: "day",
    method: "ets",
    history: { from: "2025-06-01", to: "2025-09-25", days: 117 },
    points: [
      { day: "2025-09-26", mean: 10.04, lower: 7.5, upper: 12.56, kind: "working", kind_label: "工作日" },
      { day: "2025-09-27", mean: 2, lower: 0, upper: 4, kind: "closed", kind_label: "休息日/节假日" },
    ],
    interval: "80%",
    normal_by_weekday: {},
    backtest: null,
    verdict: null,
    notes: [],
    peak_margin: 0.3,
    peaks: [{ day: "2025-09-26", forecast: 10, normal: 7, ratio: 1.43, lead_days: 1, kind: "working", kind_label: "工作日" }],
  };
  it("draws the 80% interval as a band above its lower edge and marks peaks", () => {
    const opt = forecastOption(answer, "预测");
    expect(opt.series[0].data).toEqual([7.5, 0]); // lower edge (invisible)
    expect(opt.series[1].data).toEqual([5.1, 4]); // band width, stacked on the lower edge
    expect(opt.series[2].data).toEqual([{ value: 10, itemStyle: { color: "#f56c6c" } }, { value: 2, itemStyle: undefined }]);
    expect(opt.tooltip.formatter([{ dataIndex: 0, name: "2025-09-26" }])).toBe(
      "2025-09-26（工作日）<br/>预测：10 件<br/>区间：7.5 – 12.6 件<br/><b>高峰预警</b>",
    );
  });
  it("prints MAPE or a dash", () => {
    expect(mapeText(12.345)).toBe("12.3%");
    expect(mapeText(null)).toBe("—");
  });
  it("stacks the normal and the extra windows per hour", () => {
    const day: DayPlan = {
      day: "2025-09-26",
      kind_label: "工作日",
      forecast: 80,
      peak: true,
      max_windows: 6,
      extra_windows: 2,
      hours: [
        { day: "2025-09-26", hour: 9, arrivals: 12.34, windows: 6, normal: 4, extra: 2 },
        { day: "2025-09-26", hour: 10, arrivals: 4, windows: 3, normal: 4, extra: 0 },
      ],
    };
    const opt = tidalDayOption(day, "潮汐");
    expect(opt.xAxis.data).toEqual(["09:00", "10:00"]);
    expect(opt.series.map((s) => s.data)).toEqual([
      [4, 3],
      [2, 0],
      [12.3, 4],
    ]);
  });
});

describe("recently opened drafts", () => {
  it("keeps the newest first without duplicates, and survives a bad stored value", () => {
    let list = rememberIn([], { id: "a", title: "A" });
    list = rememberIn(list, { id: "b", title: "B" });
    list = rememberIn(list, { id: "a", title: "A2" }, 2);
    expect(list).toEqual([
      { id: "a", title: "A2" },
      { id: "b", title: "B" },
    ]);
    saveRecent("k", list, sessionStorage);
    expect(loadRecent("k", sessionStorage)).toEqual(list);
    sessionStorage.setItem("bad", "{not json");
    expect(loadRecent("bad", sessionStorage)).toEqual([]);
  });
  it("splits typed lists on Chinese and Latin separators", () => {
    expect(splitList("电梯，物业; 维修、 噪音 ")).toEqual(["电梯", "物业", "维修", "噪音"]);
  });
});

describe("saving a chart as an image", () => {
  it("names the file after the chart's title, without characters a file name cannot hold", () => {
    expect(imageName({ title: { text: "办理指标（按部门）" } })).toBe("办理指标（按部门）");
    expect(imageName({ title: { text: "a/b:c" } })).toBe("a_b_c");
    expect(imageName(null)).toBe("图表");
  });
  it("turns a base64 data URL into the PNG's bytes", async () => {
    const png = [0x89, 0x50, 0x4e, 0x47];
    const blob = dataUrlToBlob(`data:image/png;base64,${btoa(String.fromCharCode(...png))}`);
    expect(blob.type).toBe("image/png");
    expect([...new Uint8Array(await blob.arrayBuffer())]).toEqual(png);
  });
});

describe("a guidance case's text", () => {
  it("sends the title and only the fields typed (the API fills the rest from the complaints)", () => {
    const form = { title: " 标题 ", details: "", handling: "协调办结", steps: "受理\n\n 转办 ", conclusion: "  ", legal_basis: "" };
    expect(caseText(form)).toEqual({ title: "标题", handling: "协调办结", steps: ["受理", "转办"] });
  });
});
