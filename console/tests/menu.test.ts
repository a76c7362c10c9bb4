import { describe, expect, it } from "vitest";
import { homeFor as homeForActions, mayOpen as mayOpenActions, menusFor } from "@/router/menu";
import ACTIONS from "./fixtures/actions-by-role.json";

// the actions /v1/auth/me answers for an account holding `roles` (the fixture is the API's permission matrix,
// checked by tests/unit/test_console_actions_fixture.py)
const actionsOf = (roles: string[]) => [...new Set(roles.flatMap((r) => (ACTIONS as Record<string, string[]>)[r] ?? []))];
const titles = (roles: string[]) => menusFor(actionsOf(roles)).map((m) => m.title);
const homeFor = (roles: string[]) => homeForActions(actionsOf(roles));
const mayOpen = (path: string, roles: string[]) => mayOpenActions(path, actionsOf(roles));
const INSIGHTS_READ = ["高频事项"];
const SHARED = ["知识库", "指导案例"];

describe("role → menu", () => {
  it("gives the window clerk intake, the department list, her centre's ledger, call-backs and the shared knowledge", () => {
    expect(titles(["window_clerk"])).toEqual(["受理", "部门待办", "工作台账", "回访中心", ...SHARED]);
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
  it("gives the administrator the roster import and the accounts", () => {
    expect(titles(["admin"])).toEqual(["纪检联络", "工作台账", "统计", ...INSIGHTS_READ, "预测与潮汐", "整改通知", ...SHARED, "值班表导入", "账号管理"]);
    expect(mayOpen("/accounts", ["duty_leader"])).toBe(false);
    expect(mayOpen("/roster", ["window_clerk"])).toBe(false);
  });
  it("gives the liaison the 纪检联络 page (digest and 抄送纪检 inbox) first", () => {
    expect(titles(["liaison"])[0]).toBe("纪检联络");
    expect(homeFor(["liaison"])).toBe("/liaison");
    expect(mayOpen("/liaison", ["window_clerk"])).toBe(false);
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
    // the hotline relay's account may record call-backs and read knowledge (the permission matrix), so the
    // console, following /v1/auth/me, opens those pages; an account with no page's action lands on /complaints
    expect(homeFor(["hotline"])).toBe("/callbacks");
    expect(homeForActions(["read_state"])).toBe("/complaints");
  });
});
