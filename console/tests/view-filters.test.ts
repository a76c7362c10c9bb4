import { describe, expect, it } from "vitest";
import { mount } from "@vue/test-utils";
import ViewFilters from "@/components/ViewFilters.vue";
import { emptyFilters, type FilterValues } from "@/utils/filters";

const stubs = {
  "el-form": { template: "<form><slot /></form>" },
  "el-form-item": { props: ["label"], template: "<div class='item'>{{ label }}<slot /></div>" },
  "el-select": {
    props: ["modelValue"],
    emits: ["update:modelValue"],
    template: "<select :value='modelValue' @change=\"$emit('update:modelValue', $event.target.value)\"><slot /></select>",
  },
  "el-option": { props: ["label", "value"], template: "<option :value='value'>{{ label }}</option>" },
  "el-date-picker": { template: "<input class='days' />" },
  "el-input": { template: "<input class='q' />" },
};
const reference = { departments: { market: "市场监管" }, categories: {}, centres: { district: "区行政服务中心" } };

describe("<ViewFilters>", () => {
  it("shows only the fields a page asks for, labelled in Chinese", () => {
    const w = mount(ViewFilters, { props: { modelValue: emptyFilters(), fields: ["department", "channel"], reference }, global: { stubs } });
    expect(w.findAll(".item").map((i) => i.text().slice(0, 2))).toEqual(["部门", "渠道"]);
    expect(w.find(".days").exists()).toBe(false);
    expect(w.text()).toContain("市场监管");
  });
  it("emits a new value with one field changed and the rest kept", async () => {
    const start: FilterValues = { ...emptyFilters(["2025-09-01", "2025-09-30"]), channel: "window" };
    const w = mount(ViewFilters, { props: { modelValue: start, fields: ["days", "department", "channel"], reference }, global: { stubs } });
    await w.findAll("select")[0].setValue("market");
    const emitted = w.emitted("update:modelValue");
    expect(emitted?.[0]?.[0]).toEqual({ ...start, department: "market" });
    expect(start.department).toBe(""); // the page's value is replaced, never mutated
  });
});
