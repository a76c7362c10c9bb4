import { describe, expect, it } from "vitest";
import { ApiError, errorFrom, fieldErrors, problemMessage } from "@/api/problem";
import { readCookie, query } from "@/api/http";
import { fraction, rateChartOption, rateText } from "@/utils/metrics";
import type { MetricsGroup } from "@/api/views";

describe("problem detail extraction", () => {
  it("shows the API's Chinese detail", () => {
    expect(problemMessage(403, { status: 403, code: "forbidden", detail: "您的角色无权执行此操作" })).toBe("您的角色无权执行此操作");
  });
  it("adds each named field", () => {
    const body = { detail: "以下字段无效：complainant.phone", errors: [{ field: "complainant.phone", detail: "电话号码格式不正确" }] };
    expect(problemMessage(422, body)).toBe("以下字段无效：complainant.phone（complainant.phone：电话号码格式不正确）");
  });
  it("names each field in Chinese when the API labels it, and gives each field its own detail", () => {
    const errors = [{ field: "complainant.phone", label: "诉求人电话", detail: "电话号码格式不正确" }];
    const body = { detail: "以下字段无效：诉求人电话（complainant.phone）", errors };
    expect(problemMessage(422, body)).toBe("以下字段无效：诉求人电话（诉求人电话：电话号码格式不正确）");
    const err = new ApiError(422, "invalid_input", problemMessage(422, body), body);
    expect(fieldErrors(err)).toEqual({ "complainant.phone": "电话号码格式不正确" });
    expect(fieldErrors(new Error("x"))).toEqual({});
  });
  it("falls back to a Chinese message by status", () => {
    expect(problemMessage(409, null)).toBe("当前状态不允许此操作");
    expect(problemMessage(502, "<html>")).toBe("服务器错误，请稍后重试");
  });
  it("reads a problem+json response", async () => {
    const res = new Response(JSON.stringify({ status: 409, code: "leader_signature_missing", detail: "须先经带班领导签字" }), {
      status: 409,
      headers: { "Content-Type": "application/problem+json" },
    });
    const err = await errorFrom(res);
    expect([err.status, err.code, err.message]).toEqual([409, "leader_signature_missing", "须先经带班领导签字"]);
  });
});

describe("http helpers", () => {
  it("reads the CSRF cookie", () => {
    expect(readCookie("a=1; yousu_csrf=abc%3D; b=2", "yousu_csrf")).toBe("abc=");
    expect(readCookie("a=1", "yousu_csrf")).toBeNull();
  });
  it("leaves unset filters out of the query", () => {
    expect(query({ status: "signed", department: "", q: undefined, overdue: false })).toBe("?status=signed&overdue=false");
  });
});

describe("dashboard", () => {
  // groups without the API's label: the chart falls back to the code through the labels
  const groups = [
    { group: "market", counts: {}, rates: { response: { numerator: 3, denominator: 4, rate: 0.75 } } },
    { group: "tax", counts: {}, rates: {} },
  ] as MetricsGroup[];
  it("shows numerator / denominator and a dash when nothing is due", () => {
    expect(fraction(groups[0].rates.response)).toBe("3 / 4");
    expect(rateText(groups[0].rates.response)).toBe("75.0%");
    expect(rateText(undefined)).toBe("—");
  });
  it("builds a downloadable bar chart with labelled groups", () => {
    const opt = rateChartOption(groups, { market: "市场监管" }, "指标");
    expect(opt.toolbox.feature.saveAsImage.name).toBe("指标");
    expect(opt.xAxis.data).toEqual(["市场监管", "tax"]);
    expect(opt.series[0].data).toEqual([75, null]);
    const tip = opt.tooltip.formatter({ seriesName: "响应率", name: "市场监管", dataIndex: 0, seriesIndex: 0 });
    expect(tip).toBe("市场监管<br/>响应率：75.0%（3 / 4）");
  });
});
