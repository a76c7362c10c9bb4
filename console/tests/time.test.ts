import { describe, expect, it } from "vitest";
import { beijing, beijingIso, beijingToday, countdown, percent } from "@/utils/time";

const NOW = new Date("2025-09-26T02:00:00Z"); // 10:00 Beijing

describe("countdown", () => {
  it("counts days and hours left", () => {
    // due 2025-09-28 17:30 Beijing = 09:30Z: 2 days 7 h 30 min ahead
    expect(countdown("2025-09-28T17:30:00+08:00", NOW)).toEqual({ text: "剩余 2天7小时", overdue: false, urgent: false });
  });
  it("counts minutes when under an hour and flags urgency", () => {
    expect(countdown("2025-09-26T10:45:00+08:00", NOW)).toEqual({ text: "剩余 45分钟", overdue: false, urgent: true });
  });
  it("says how long overdue", () => {
    expect(countdown("2025-09-26T05:00:00+08:00", NOW)).toEqual({ text: "已超期 5小时", overdue: true, urgent: false });
  });
  it("shows a dash without a deadline", () => {
    expect(countdown(null, NOW).text).toBe("—");
    expect(countdown("garbage", NOW).text).toBe("—");
  });
});

describe("Beijing time", () => {
  it("formats instants in Asia/Shanghai whatever their offset", () => {
    expect(beijing("2025-09-26T02:00:00Z")).toBe("2025-09-26 10:00");
    expect(beijing("2025-09-25T16:30:05Z", true)).toBe("2025-09-26 00:30:05");
    expect(beijing(null)).toBe("—");
  });
  it("gives today's date and the instant with +08:00", () => {
    expect(beijingToday(new Date("2025-09-25T17:00:00Z"))).toBe("2025-09-26");
    expect(beijingIso(NOW)).toBe("2025-09-26T10:00:00+08:00");
  });
  it("prints rates as percentages", () => {
    expect(percent(0.8)).toBe("80.0%");
    expect(percent(null)).toBe("—");
  });
});
