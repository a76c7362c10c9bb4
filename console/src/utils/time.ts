// Times are shown in Beijing time whatever the workstation's zone (the hall works in Asia/Shanghai).
import dayjs from "dayjs";
import utc from "dayjs/plugin/utc";
import timezone from "dayjs/plugin/timezone";

dayjs.extend(utc);
dayjs.extend(timezone);

export const ZONE = "Asia/Shanghai";

/** `2025-09-26 10:00` in Beijing time; "—" for nothing. */
export function beijing(iso: string | null | undefined, withSeconds = false): string {
  if (!iso) return "—";
  const d = dayjs(iso);
  if (!d.isValid()) return "—";
  return d.tz(ZONE).format(withSeconds ? "YYYY-MM-DD HH:mm:ss" : "YYYY-MM-DD HH:mm");
}

/** Today's date in Beijing, `YYYY-MM-DD`. */
export function beijingToday(now: Date = new Date()): string {
  return dayjs(now).tz(ZONE).format("YYYY-MM-DD");
}

/** The instant `now` as ISO 8601 with the +08:00 offset (what the API expects for `from`). */
export function beijingIso(now: Date = new Date()): string {
  return dayjs(now).tz(ZONE).format("YYYY-MM-DDTHH:mm:ssZ");
}

/** The start (00:00) of a Beijing day as an ISO instant, for ledger filters. */
export function startOfBeijingDay(day: string): string {
  return `${day}T00:00:00+08:00`;
}

/** The end (23:59:59) of a Beijing day as an ISO instant. */
export function endOfBeijingDay(day: string): string {
  return `${day}T23:59:59+08:00`;
}

export interface Countdown {
  text: string;
  overdue: boolean;
  urgent: boolean; // less than 4 hours left
}

/** "剩余 2天3小时" / "剩余 45分钟" / "已超期 5小时"; calendar time, for a glance (deadlines are computed by the API). */
export function countdown(dueIso: string | null | undefined, now: Date = new Date()): Countdown {
  if (!dueIso) return { text: "—", overdue: false, urgent: false };
  const ms = new Date(dueIso).getTime() - now.getTime();
  if (Number.isNaN(ms)) return { text: "—", overdue: false, urgent: false };
  const overdue = ms < 0;
  const minutes = Math.floor(Math.abs(ms) / 60000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  let span: string;
  if (days > 0) span = hours > 0 ? `${days}天${hours}小时` : `${days}天`;
  else if (hours > 0) span = mins > 0 ? `${hours}小时${mins}分钟` : `${hours}小时`;
  else span = `${mins}分钟`;
  return { text: overdue ? `已超期 ${span}` : `剩余 ${span}`, overdue, urgent: !overdue && ms < 4 * 3600 * 1000 };
}

/** A rate as a percentage, "—" when nothing is due yet. */
export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;
}

/** "剩余 12.5 工作小时" / "已超期 3 工作小时": a deadline in working hours (the API counts them on the
 * district's calendar, 调休 included); urgent when less than one working day (8 hours) is left. */
export function workingHoursText(hours: number | null | undefined): Countdown {
  if (hours === null || hours === undefined || Number.isNaN(hours)) return { text: "—", overdue: false, urgent: false };
  const overdue = hours < 0;
  const n = Math.round(Math.abs(hours) * 10) / 10;
  const shown = Number.isInteger(n) ? String(n) : n.toFixed(1);
  return { text: overdue ? `已超期 ${shown} 工作小时` : `剩余 ${shown} 工作小时`, overdue, urgent: !overdue && hours < 8 };
}

/** Whether an instant falls on the given Beijing day (`YYYY-MM-DD`). */
export function onBeijingDay(iso: string | null | undefined, day: string): boolean {
  return !!iso && beijing(iso).startsWith(day);
}
