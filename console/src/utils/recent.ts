// Items this browser session opened or drafted (the API lists only published entries and cases, so a
// draft is found again by its id): newest first, at most `max`, kept in sessionStorage.
export interface RecentItem {
  id: string;
  title: string;
}

export function rememberIn(list: RecentItem[], item: RecentItem, max = 20): RecentItem[] {
  return [item, ...list.filter((x) => x.id !== item.id)].slice(0, max);
}

export function loadRecent(key: string, storage: Storage = sessionStorage): RecentItem[] {
  try {
    const v = JSON.parse(storage.getItem(key) ?? "[]") as unknown;
    return Array.isArray(v) ? (v as RecentItem[]).filter((x) => x && typeof x.id === "string") : [];
  } catch {
    return [];
  }
}

export function saveRecent(key: string, list: RecentItem[], storage: Storage = sessionStorage): void {
  storage.setItem(key, JSON.stringify(list));
}

/** "a, b；c" → ["a", "b", "c"]: tags and codes typed in one field. */
export function splitList(text: string): string[] {
  return text
    .split(/[,，;；、\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A case's text as typed: the title, and only the fields filled in (the API fills the rest from the complaints). */
export function caseText(form: { title: string; details: string; handling: string; steps: string; conclusion: string; legal_basis: string }) {
  const out: { title: string; details?: string; handling?: string; steps?: string[]; conclusion?: string; legal_basis?: string } = {
    title: form.title.trim(),
  };
  for (const key of ["details", "handling", "conclusion", "legal_basis"] as const) {
    if (form[key].trim()) out[key] = form[key];
  }
  const steps = form.steps
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);
  if (steps.length) out.steps = steps;
  return out;
}
