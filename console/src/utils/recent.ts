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
