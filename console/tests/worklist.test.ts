import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { onBeijingDay, workingHoursText } from "@/utils/time";
import { debounce } from "@/utils/debounce";

describe("workingHoursText", () => {
  it("says the working hours left, one decimal at most", () => {
    expect(workingHoursText(16)).toEqual({ text: "剩余 16 工作小时", overdue: false, urgent: false });
    expect(workingHoursText(7.25)).toEqual({ text: "剩余 7.3 工作小时", overdue: false, urgent: true });
  });
  it("says how many working hours overdue", () => {
    expect(workingHoursText(-9.5)).toEqual({ text: "已超期 9.5 工作小时", overdue: true, urgent: false });
  });
  it("shows a dash without a deadline", () => {
    expect(workingHoursText(null).text).toBe("—");
    expect(workingHoursText(undefined).text).toBe("—");
  });
});

describe("onBeijingDay", () => {
  it("places an instant on its Beijing calendar day", () => {
    expect(onBeijingDay("2025-09-25T16:30:00Z", "2025-09-26")).toBe(true); // 00:30 on the 26th in Beijing
    expect(onBeijingDay("2025-09-25T15:59:00Z", "2025-09-26")).toBe(false); // 23:59 on the 25th
    expect(onBeijingDay(null, "2025-09-26")).toBe(false);
  });
});

describe("debounce", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());
  it("calls once with the last arguments after a pause", () => {
    const seen: string[] = [];
    const d = debounce((t: string) => seen.push(t), 400);
    d("暖");
    vi.advanceTimersByTime(200);
    d("暖气");
    vi.advanceTimersByTime(399);
    expect(seen).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(seen).toEqual(["暖气"]);
  });
  it("drops a pending call when cancelled", () => {
    const seen: string[] = [];
    const d = debounce((t: string) => seen.push(t), 400);
    d("暖气不热");
    d.cancel();
    vi.advanceTimersByTime(1000);
    expect(seen).toEqual([]);
  });
});
