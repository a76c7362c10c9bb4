import type { SignAs } from "@/api/complaints";

/** The signature a complaint waits for: 当天值班人员 first (classified), then 带班领导 (officer_signed). */
export function signAsFor(status: string): SignAs {
  return status === "classified" ? "duty_officer" : "duty_leader";
}

/** The rows the signer's centre signs for: their centre is signed by it (`signed_by` from /v1/reference; a centre
 * not listed signs for itself). No centre on the account is the district hall. */
export function signedHere<T extends { centre: string }>(
  rows: T[],
  signedBy: Record<string, string>,
  centre: string | null | undefined,
): T[] {
  const mine = centre ?? "district";
  return rows.filter((row) => (signedBy[row.centre] ?? row.centre) === mine);
}
