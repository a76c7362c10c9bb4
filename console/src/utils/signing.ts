import type { SignAs } from "@/api/complaints";

/** The signature a complaint waits for: 当天值班人员 first (classified), then 带班领导 (officer_signed). */
export function signAsFor(status: string): SignAs {
  return status === "classified" ? "duty_officer" : "duty_leader";
}
