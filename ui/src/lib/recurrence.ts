// T9 rules in the user's words, and what the recurrence editor starts from. The words come
// through the `t` passed in, so the summary follows whichever catalogue the caller uses.
import type { Recurrence } from "./api/bindings/Recurrence";
import type { RecurrenceRule } from "./api/bindings/RecurrenceRule";
import type { Repeat } from "./api/bindings/Repeat";
import type { Weekday } from "./api/bindings/Weekday";
import { i18n, type MessageKey } from "./i18n/index.svelte";

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;
export type RepeatKind = Repeat["kind"];

/** Monday first, as a Hungarian week is shown. */
export const WEEKDAYS: Weekday[] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
export const REPEAT_KINDS: RepeatKind[] = [
  "daily",
  "weekly",
  "monthly_on_day",
  "monthly_working_day",
  "yearly",
];
/** The core's limits (model/validate.rs). */
export const MAX_INTERVAL = 999;
export const MAX_NTH_WORKING_DAY = 23;
export const MAX_COUNT = 10_000;
export const MAX_CREATE_AHEAD = 366;

/** The weekday of a calendar day ("2026-03-10" → "tue"). */
export function weekdayOf(day: string): Weekday {
  const sundayFirst = new Date(`${day}T12:00:00Z`).getUTCDay();
  return WEEKDAYS[(sundayFirst + 6) % 7];
}

export function sortWeekdays(days: Weekday[]): Weekday[] {
  return WEEKDAYS.filter((day) => days.includes(day));
}

/** A kind's first shape when chosen: it falls on the due day, the series' first occurrence. */
export function defaultRepeat(kind: RepeatKind, dueDay: string): Repeat {
  const [, month, day] = dueDay.split("-").map(Number);
  switch (kind) {
    case "daily":
      return { kind };
    case "weekly":
      return { kind, days: [weekdayOf(dueDay)] };
    case "monthly_on_day":
      return { kind, day };
    case "monthly_working_day":
      return { kind, nth: 1 };
    case "yearly":
      return { kind, month, day };
  }
}

/** A rule switched on in the editor; the store fills the series fields when it is saved. */
export function newRecurrence(dueDay: string, timeZone: string): Recurrence {
  return {
    rule: {
      repeat: defaultRepeat("weekly", dueDay),
      interval: 1,
      ends: { kind: "never" },
      create_ahead_days: null,
    },
    series_id: null,
    starts_on: null,
    occurrence: 1,
    occurrence_day: null,
    time_zone: timeZone,
  };
}

export function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, Math.round(value))) : min;
}

/** "Minden 2. héten hétfőn, csütörtökön", "Monthly on the 31st". */
export function describeRecurrence(
  rule: RecurrenceRule,
  t: Translate,
  formatDay: (day: string, style: "long") => string = i18n.day,
): string {
  const n = rule.interval;
  const repeat = rule.repeat;
  const parts: string[] = [];
  switch (repeat.kind) {
    case "daily":
      parts.push(t("recurrence.summary.daily", { n }));
      break;
    case "weekly": {
      const days = sortWeekdays(repeat.days)
        .map((day) => t(`recurrence.on.${day}`))
        .join(", ");
      parts.push(t("recurrence.summary.weekly", { n, days }));
      break;
    }
    case "monthly_on_day":
      parts.push(
        t("recurrence.summary.monthlyOnDay", { n, day: t("recurrence.dayOfMonth", { day: repeat.day }) }),
      );
      break;
    case "monthly_working_day": {
      const which =
        repeat.nth < 0 ? t("recurrence.lastWorkingDay") : t("recurrence.nthWorkingDay", { nth: repeat.nth });
      parts.push(t("recurrence.summary.monthlyWorkingDay", { n, which }));
      break;
    }
    case "yearly": {
      const month = t(`month.${repeat.month}` as MessageKey);
      const date = t("recurrence.yearDate", {
        month,
        day: repeat.day,
        dayText: t("recurrence.dayOfMonth", { day: repeat.day }),
      });
      parts.push(t("recurrence.summary.yearly", { n, date }));
      break;
    }
  }
  if (rule.ends.kind === "after_count")
    parts.push(t("recurrence.summary.afterCount", { count: rule.ends.count }));
  if (rule.ends.kind === "on_date")
    parts.push(t("recurrence.summary.onDate", { date: formatDay(rule.ends.date, "long") }));
  if (rule.create_ahead_days !== null)
    parts.push(t("recurrence.summary.createAhead", { days: rule.create_ahead_days }));
  return parts.join(", ");
}
