// How dues read in a list: relative days in the user's language and time zone.
import type { Due } from "./api/bindings/Due";
import { dateFormat, i18n, localDay, t } from "./i18n/index.svelte";

const DAY_MS = 86_400_000;

export function daysBetween(fromDay: string, toDay: string): number {
  return Math.round((Date.parse(`${toDay}T00:00:00Z`) - Date.parse(`${fromDay}T00:00:00Z`)) / DAY_MS);
}

/** The local day a due falls on. */
export function dueDay(due: Due, timeZone: string): string {
  return "day" in due ? due.day : localDay(new Date(due.at), timeZone);
}

/** "ma 14:00", "holnap", "2 napja lejárt", "márc. 3." … */
export function dueLabel(due: Due | null, now: Date = new Date()): string {
  if (!due) return t("due.none");
  const today = i18n.today(now);
  const day = dueDay(due, i18n.timeZone);
  const offset = daysBetween(today, day);
  const time = "at" in due ? ` ${i18n.time(due.at)}` : "";
  if (offset < 0) return t("due.overdue", { days: -offset });
  if (offset === 0) {
    if ("at" in due && Date.parse(due.at) < now.getTime()) return `${t("due.overdueHours")}${time}`;
    return `${t("due.today")}${time}`;
  }
  if (offset === 1) return `${t("due.tomorrow")}${time}`;
  return `${i18n.day(day)}${time}`;
}

/** What the clock in `timeZone` shows at an instant, as a date-time input holds it ("2026-03-10T09:30"). */
export function wallClock(instant: string, timeZone: string): string {
  const parts = dateFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(instant));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}T${get("hour")}:${get("minute")}`;
}

/**
 * The instant at which the clock in `timeZone` shows `wall` ("2026-03-10T09:30"), whatever zone
 * this computer is in. A time that a summer-time change skips lands just after the change.
 */
export function instantOf(wall: string, timeZone: string): string {
  const wanted = Date.parse(`${wall}:00Z`);
  let guess = wanted;
  // Two corrections settle the zone's offset, also when it changes between guess and answer.
  for (let i = 0; i < 2; i++)
    guess += wanted - Date.parse(`${wallClock(new Date(guess).toISOString(), timeZone)}:00Z`);
  return new Date(guess).toISOString();
}

export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
