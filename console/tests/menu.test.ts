import { describe, expect, it } from "vitest";
import { homeFor, mayOpen, menusFor } from "@/router/menu";

const titles = (roles: string[]) => menusFor(roles).map((m) => m.title);
const INSIGHTS_READ = ["高频事项"];
const SHARED = ["知识库", "指导案例"];

describe("role → menu", () => {
  it("gives the window clerk intake, the department list, call-backs and the shared knowledge, not the ledger", () => {
    expect(titles(["window_clerk"])).toEqual(["受理", "部门待办", "回访中心", ...SHARED]);
  });
  it("gives the duty leader signing, dispatch, inbox, the views and every 未诉先办 page", () => {
    expect(titles(["duty_leader"])).toEqual(["待签", "转办", "收件箱", "工作台账", "统计", ...INSIGHTS_READ, "预测与潮汐", "整改通知", "回访中心", ...SHARED]);
  });
  it("gives the analyst the views, topics, forecasts and the orders ledger", () => {
    expect(titles(["analyst"])).toEqual(["工作台账", "统计", ...INSIGHTS_READ, "预测与潮汐", "整改通知", ...SHARED]);
  });
  it("gives the call-back agent the call-back centre first", () => {
    expect(titles(["callback_agent"])).toEqual(["回访中心", ...SHARED]);
    expect(homeFor(["callback_agent"])).toBe("/callbacks");
  });
  it("gives a department its orders but not the forecast", () => {
    expect(titles(["department"])).toEqual(["部门待办", "整改通知", ...SHARED]);
  });
  it("merges several roles without duplicates", () => {
    expect(titles(["duty_officer", "duty_leader"])).toEqual(titles(["duty_leader"]));
  });
  it("refuses pages outside the role and sends each role home", () => {
    expect(mayOpen("/dashboard", ["window_clerk"])).toBe(false);
    expect(mayOpen("/forecast", ["supervisor"])).toBe(false); // read_forecast: analyst, duty_*, admin
    expect(mayOpen("/callbacks", ["analyst"])).toBe(false);
    expect(mayOpen("/complaints/abc", ["analyst"])).toBe(true);
    expect(homeFor(["analyst"])).toBe("/ledger");
    expect(homeFor(["window_clerk"])).toBe("/intake");
    expect(homeFor(["hotline"])).toBe("/complaints");
  });
});
