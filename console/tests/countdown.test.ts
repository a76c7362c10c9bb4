import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mount } from "@vue/test-utils";
import Countdown from "@/components/Countdown.vue";
import ErrorAlert from "@/components/ErrorAlert.vue";

describe("<Countdown>", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2025-09-26T02:00:00Z"));
  });
  afterEach(() => vi.useRealTimers());

  it("renders time left and turns red once overdue", async () => {
    const w = mount(Countdown, { props: { due: "2025-09-26T11:00:00+08:00" } });
    expect(w.text()).toBe("剩余 1小时");
    expect(w.classes()).toContain("urgent");
    vi.setSystemTime(new Date("2025-09-26T03:30:00Z"));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(w.text()).toBe("已超期 30分钟");
    expect(w.classes()).toContain("overdue");
  });
});

describe("<ErrorAlert>", () => {
  it("shows the message and nothing without one", () => {
    const stubs = { "el-alert": { props: ["title"], template: "<div class='alert'>{{ title }}</div>" } };
    expect(mount(ErrorAlert, { props: { message: "您的角色无权执行此操作" }, global: { stubs } }).text()).toBe("您的角色无权执行此操作");
    expect(mount(ErrorAlert, { props: { message: null }, global: { stubs } }).find(".alert").exists()).toBe(false);
  });
});
