// 承办部门 as the pages show them: the API gives a row's departments as a list of codes (generated types).
import type { LedgerRow } from "../api/views";

/** The departments' Chinese names, joined with 、 ("—" before dispatch). */
export const departmentNames = (codes: LedgerRow["departments"], names: Record<string, string>): string =>
  codes.map((d) => names[d] ?? d).join("、") || "—";
