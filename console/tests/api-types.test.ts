import { describe, expect, it } from "vitest";
import { codeMap } from "@/api/reference";
import { signAsFor, signedHere } from "@/utils/signing";

describe("reference codes", () => {
  it("maps GET /v1/reference's code lists to code → 中文名", () => {
    const departments = codeMap([
      { code: "market", name: "区市场监管局" },
      { code: "housing", name: "区住建局" },
    ]);
    expect(departments).toEqual({ market: "区市场监管局", housing: "区住建局" });
  });
});

describe("signing role (as)", () => {
  it("names the officer for a classified complaint and the leader once the officer has signed", () => {
    // 审核签字 order: 当天值班人员 first, then 带班领导
    expect(signAsFor("classified")).toBe("duty_officer");
    expect(signAsFor("officer_signed")).toBe("duty_leader");
  });
});

describe("待签字: the complaints the signer's centre signs for", () => {
  // ops/reference.toml's default: the street centres are signed by the district hall; here hongqiao signs its own
  const signedBy = { district: "district", jiefang: "district", hongqiao: "hongqiao" };
  const rows = [{ centre: "district" }, { centre: "jiefang" }, { centre: "hongqiao" }];
  it.each([
    ["district", ["district", "jiefang"]],
    [null, ["district", "jiefang"]], // no centre on the account: the district hall
    ["jiefang", []], // signed by the district hall: nothing to sign at jiefang
    ["hongqiao", ["hongqiao"]], // signs for itself
  ])("a signer of %s signs %j", (centre, expected) => {
    expect(signedHere(rows, signedBy, centre).map((r) => r.centre)).toEqual(expected);
  });
});
