// The district's default resolution limits in working days (YOUSU_LIMIT_*), for the dispatch preview only:
// the deadline itself is computed by the API when the complaint is dispatched.
export const DEFAULT_LIMITS: Record<string, number> = { general: 0, cannot_do: 1, refused_to_do: 2, hard_to_do: 5 };

export function limitFor(classification: string | null | undefined): number {
  return DEFAULT_LIMITS[classification ?? ""] ?? DEFAULT_LIMITS.hard_to_do;
}
