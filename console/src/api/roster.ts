// 值班表导入: the month's file (CSV or XLSX) sent as it is; a preview first (`dry_run`), then the import.
import { CSRF_COOKIE, CSRF_HEADER, query, readCookie } from "./http";
import { errorFrom } from "./problem";
import type { components } from "./schema";

type Schemas = components["schemas"];
/** One duty day of the preview (GET /v1/roster's day, with its centre). */
export type PreviewDay = Schemas["PreviewDayOut"];
export type RosterImport = Schemas["RosterImported"];

/** A bad row as the API names it (`errors[]` of the 422). */
export type RowError = Schemas["ProblemError"];

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/** The content type the API reads the file as (by its name). */
export const rosterType = (name: string) => (name.toLowerCase().endsWith(".xlsx") ? XLSX : "text/csv");

/** POST /v1/roster/import with the file as the body; `dryRun` checks and previews without importing. */
export async function importRoster(file: Blob, type: string, opts: { dryRun: boolean; month?: string }): Promise<RosterImport> {
  const headers: Record<string, string> = { Accept: "application/json", "Content-Type": type };
  const token = readCookie(document.cookie, CSRF_COOKIE);
  if (token) headers[CSRF_HEADER] = token;
  const q = query({ dry_run: opts.dryRun ? "true" : undefined, month: opts.month });
  const res = await fetch(`/v1/roster/import${q}`, { method: "POST", headers, credentials: "same-origin", body: file });
  if (!res.ok) throw await errorFrom(res);
  return (await res.json()) as RosterImport;
}

/** The bad rows of a refused file (an error without a row is the file's own). */
export function rowErrors(problem: { errors?: unknown } | null): RowError[] {
  const errs = problem && Array.isArray(problem.errors) ? (problem.errors as RowError[]) : [];
  return errs.filter((e) => e && typeof e.detail === "string");
}
