import { describe, expect, it } from "vitest";
import { homeFor, mayOpen, menusFor } from "@/router/menu";

const titles = (roles: string[]) => menusFor(roles).map((m) => m.title);

describe("role → menu", () => {
  it("gives the window clerk intake and the department list, not the ledger", () => {
    expect(titles(["window_clerk"])).toEqual(["受理", "部门待办"]);
  });
  it("gives the duty leader signing, dispatch, inbox and the views", () => {
    expect(titles(["duty_leader"])).toEqual(["待签", "转办", "收件箱", "工作台账", "统计"]);
  });
  it("gives the analyst only the ledger and the dashboard", () => {
    expect(titles(["analyst"])).toEqual(["工作台账", "统计"]);
  });
  it("merges several roles without duplicates", () => {
    expect(titles(["duty_officer", "duty_leader"])).toEqual(["待签", "转办", "收件箱", "工作台账", "统计"]);
  });
  it("refuses pages outside the role and sends each role home", () => {
    expect(mayOpen("/dashboard", ["window_clerk"])).toBe(false);
    expect(mayOpen("/complaints/abc", ["analyst"])).toBe(true);
    expect(homeFor(["analyst"])).toBe("/ledger");
    expect(homeFor(["window_clerk"])).toBe("/intake");
    expect(homeFor(["hotline"])).toBe("/complaints");
  });
});
