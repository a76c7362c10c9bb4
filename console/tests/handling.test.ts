import { describe, expect, it } from "vitest";
import {
  HANDLING_TITLES,
  decisionActions,
  handlingActions as handlingActionsOf,
  masterRef,
  stepActions as stepActionsOf,
  type HandlingState,
} from "@/utils/handling";
import ACTIONS from "./fixtures/actions-by-role.json";

// the actions /v1/auth/me answers for a role (the fixture is the API's permission matrix)
const handlingActions = (roles: string[], c: HandlingState) =>
  handlingActionsOf(roles.flatMap((r) => (ACTIONS as Record<string, string[]>)[r] ?? []), c);

describe("decisionActions", () => {
  it("answers a 退单 with 改派 or 坚持交办 and a 延期申请 with 批准 or 不予延期", () => {
    expect(decisionActions("return")).toEqual(["redispatch", "insist"]);
    expect(decisionActions("extension")).toEqual(["approve_extension", "refuse_extension"]);
    expect(decisionActions("appeal")).toEqual(["uphold_appeal", "reject_appeal"]);
    expect(decisionActions("")).toEqual([]);
    expect(decisionActions(null)).toEqual([]);
  });
});

describe("handlingActions", () => {
  it("offers the duty leader 并单 on an open complaint and 取消并单 on a merged one", () => {
    expect(handlingActions(["duty_leader"], { status: "received" })).toEqual(["merge"]);
    expect(handlingActions(["duty_leader"], { status: "merged", merged_into: "m" })).toEqual(["unmerge"]);
    expect(handlingActions(["duty_leader"], { status: "resolved" })).toEqual([]);
    expect(handlingActions(["duty_leader"], { status: "withdrawn" })).toEqual([]);
  });
  it("offers the duty leader the 差评申诉 to decide", () => {
    expect(handlingActions(["duty_leader"], { status: "rectifying", pending_appeal: true })).toEqual(["uphold_appeal", "reject_appeal"]);
    expect(handlingActions(["department"], { status: "rectifying", pending_appeal: true })).toEqual([]);
  });
  it("offers the duty leader the pending decision", () => {
    expect(handlingActions(["duty_leader"], { status: "dispatched", pending_return: "market" })).toEqual([
      "merge",
      "redispatch",
      "insist",
    ]);
    expect(handlingActions(["duty_leader"], { status: "dispatched", pending_extension_days: 3 })).toEqual([
      "merge",
      "approve_extension",
      "refuse_extension",
    ]);
  });
  it("offers a department 退单, 申请延期 and 中止计时 while it handles the complaint", () => {
    expect(handlingActions(["department"], { status: "dispatched" })).toEqual(["return", "extension", "pause"]);
    expect(handlingActions(["department"], { status: "consulted", pending_return: "market" })).toEqual([
      "return",
      "extension",
      "pause",
    ]);
    expect(handlingActions(["department"], { status: "dispatched", paused_at: "2025-09-26T02:00:00Z" })).toEqual([
      "return",
      "extension",
    ]);
    expect(handlingActions(["department"], { status: "signed" })).toEqual([]);
    expect(handlingActions(["department"], { status: "resolved" })).toEqual([]);
  });
  it("offers the window clerk 恢复计时 only while the clock is paused", () => {
    expect(handlingActions(["window_clerk"], { status: "dispatched", paused_at: "2025-09-26T02:00:00Z" })).toEqual([
      "resume",
    ]);
    expect(handlingActions(["window_clerk"], { status: "dispatched" })).toEqual([]);
  });
  it("offers nothing to other roles", () => {
    const busy = { status: "dispatched", pending_return: "market", paused_at: "2025-09-26T02:00:00Z" };
    for (const role of ["analyst", "supervisor", "liaison", "duty_officer", "callback_agent"]) {
      expect(handlingActions([role], busy)).toEqual([]);
    }
  });
});

describe("masterRef", () => {
  it("reads a complaint id or a 受理单号", () => {
    expect(masterRef(" 0190A1B2-C3D4-7E5F-8a9b-0c1d2e3f4a5b ")).toEqual({ id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b" });
    expect(masterRef("CG20250926-0001")).toEqual({ slip: "CG20250926-0001" });
    expect(masterRef("  ")).toBeNull();
  });
});

describe("stepActions", () => {
  const steps = (roles: string[], c: HandlingState) =>
    stepActionsOf(roles.flatMap((r) => (ACTIONS as Record<string, string[]>)[r] ?? []), c);
  it("offers 会商 to the duty leader and the department while departments handle the complaint", () => {
    expect(steps(["duty_leader"], { status: "dispatched", classification: "hard_to_do" })).toEqual(["consult"]);
    expect(steps(["department"], { status: "consulted" })).toEqual(["consult"]);
    // in a rectification round the department may also contest the 差评 (once: not while an appeal waits)
    expect(steps(["department"], { status: "rectifying" })).toEqual(["consult", "appeal"]);
    expect(steps(["department"], { status: "rectifying", pending_appeal: true })).toEqual(["consult"]);
    expect(steps(["department"], { status: "resolved" })).toEqual([]);
  });
  it("offers 改分类 of a general complaint not yet resolved, once", () => {
    expect(steps(["window_clerk"], { status: "classified", classification: "general" })).toEqual(["reclassify"]);
    expect(steps(["duty_leader"], { status: "classified", classification: "general" })).toEqual(["reclassify"]);
    expect(steps(["window_clerk"], { status: "classified", classification: "cannot_do" })).toEqual([]);
    expect(steps(["window_clerk"], { status: "classified", classification: "general", reclassified_from: "general" })).toEqual([]);
    expect(steps(["window_clerk"], { status: "resolved", classification: "general" })).toEqual(["feedback"]);
  });
  it("offers the clerk 当场答复 of a general question received at the window", () => {
    const atWindow = { status: "classified", classification: "general", channel: "window" };
    expect(steps(["window_clerk"], atWindow)).toEqual(["reclassify", "on_the_spot"]);
    expect(steps(["window_clerk"], { ...atWindow, channel: "hotline" })).toEqual(["reclassify"]);
    expect(steps(["window_clerk"], { ...atWindow, classification: "hard_to_do" })).toEqual([]);
    expect(steps(["duty_leader"], atWindow)).toEqual(["reclassify"]);
  });
  it("offers the clerk 差评申诉 of a general complaint's round, and nobody else but the resolvers", () => {
    expect(steps(["window_clerk"], { status: "rectifying", classification: "general" })).toEqual(["appeal"]);
    expect(steps(["analyst"], { status: "rectifying" })).toEqual([]);
  });
  it("offers the clerk 反馈 once resolved and 回访 once fed back", () => {
    expect(steps(["window_clerk"], { status: "fed_back", classification: "general" })).toEqual(["callback"]);
    expect(steps(["analyst"], { status: "resolved" })).toEqual([]);
    expect(steps(["supervisor"], { status: "dispatched" })).toEqual([]);
  });
});

describe("stepActions: 指定承办人", () => {
  const steps = (roles: string[], c: HandlingState, department?: string | null) =>
    stepActionsOf(roles.flatMap((r) => (ACTIONS as Record<string, string[]>)[r] ?? []), c, department);
  const withMarket = { departments: ["market", "housing"] };
  it("offers a department the complaint is with to name its handler while it handles the complaint", () => {
    expect(steps(["department"], { status: "dispatched", ...withMarket }, "market")).toEqual(["consult", "assign_handler"]);
    expect(steps(["department"], { status: "consulted", ...withMarket }, "housing")).toEqual(["consult", "assign_handler"]);
    // back with its departments in a rectification round: named (again) there too, beside 差评申诉
    expect(steps(["department"], { status: "rectifying", ...withMarket }, "market")).toEqual([
      "consult",
      "assign_handler",
      "appeal",
    ]);
    expect(HANDLING_TITLES.assign_handler).toBe("指定承办人");
  });
  it("offers it to no other department, and not before dispatch nor once resolved", () => {
    expect(steps(["department"], { status: "dispatched", ...withMarket }, "tax")).toEqual(["consult"]);
    expect(steps(["department"], { status: "dispatched", ...withMarket }, null)).toEqual(["consult"]);
    expect(steps(["department"], { status: "dispatched" }, "market")).toEqual(["consult"]);
    expect(steps(["department"], { status: "signed", ...withMarket }, "market")).toEqual([]);
    expect(steps(["department"], { status: "resolved", ...withMarket }, "market")).toEqual([]);
    expect(steps(["department"], { status: "closed", ...withMarket }, "market")).toEqual([]);
  });
  it("offers it to nobody but a department account", () => {
    for (const role of ["duty_leader", "window_clerk", "duty_officer", "supervisor", "analyst"]) {
      expect(steps([role], { status: "dispatched", ...withMarket }, "market")).not.toContain("assign_handler");
    }
  });
});
