import { describe, expect, it } from "vitest";
import { decisionActions, handlingActions, masterRef } from "@/utils/handling";

describe("decisionActions", () => {
  it("answers a 退单 with 改派 or 坚持交办 and a 延期申请 with 批准 or 不予延期", () => {
    expect(decisionActions("return")).toEqual(["redispatch", "insist"]);
    expect(decisionActions("extension")).toEqual(["approve_extension", "refuse_extension"]);
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
