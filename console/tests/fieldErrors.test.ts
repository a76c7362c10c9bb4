import { describe, expect, it } from "vitest";
import { ApiError } from "@/api/problem";
import { useFieldErrors } from "@/utils/fieldErrors";

const refusal = (errors: { field: string; detail: string }[]) =>
  new ApiError(422, "invalid_input", "以下字段无效：…", { status: 422, code: "invalid_input", detail: "以下字段无效：…", errors });

describe("a form's refusals next to their fields", () => {
  it("keeps each field's detail and answers the form's message", () => {
    const f = useFieldErrors();
    const err = refusal([
      { field: "password", detail: "密码至少 10 位" },
      { field: "person.phone", detail: "电话号码格式不正确" },
      { field: "departments.0", detail: "取值不在允许范围内" },
    ]);
    expect(f.take(err)).toBe("以下字段无效：…");
    expect(f.at("password")).toBe("密码至少 10 位");
    expect(f.at("person.name", "person")).toBe("电话号码格式不正确"); // a part of a field counts for the whole
    expect(f.at("departments")).toBe("取值不在允许范围内");
    expect(f.at("department")).toBeUndefined(); // a prefix of a name is not the field
    f.clear();
    expect(f.at("password")).toBeUndefined();
  });
  it("a refusal that names no field leaves every field clear", () => {
    const f = useFieldErrors();
    expect(f.take(new ApiError(409, "conflict", "当前状态不允许此操作", null))).toBe("当前状态不允许此操作");
    expect(f.invalid.value).toEqual({});
  });
});
