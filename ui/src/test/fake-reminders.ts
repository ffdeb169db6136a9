// The reminders side of the fake Backend: notification and desktop settings, the working
// calendar, colleagues' availability, hand-over and the review's reschedules, all in memory so
// tests can look at what a screen saved.
import type { Backend } from "../lib/api/backend";
import { CommandError } from "../lib/api/backend";
import type { Availability } from "../lib/api/bindings/Availability";
import type { Colleague } from "../lib/api/bindings/Colleague";
import type { DayOverride } from "../lib/api/bindings/DayOverride";
import type { DesktopOptions } from "../lib/api/bindings/DesktopOptions";
import type { HolidayDate } from "../lib/api/bindings/HolidayDate";
import type { NotifySettings } from "../lib/api/bindings/NotifySettings";
import type { Reschedule } from "../lib/api/bindings/Reschedule";
import type { Task } from "../lib/api/bindings/Task";
import { addDays } from "../lib/format";

export type FakeReminders = {
  colleagues: Colleague[];
  notify: NotifySettings;
  desktop: DesktopOptions;
  overrides: DayOverride[];
  /** Colleague id → how many open tasks they hold (hand-over moves them). */
  openTasks: Record<string, number>;
  rescheduled: { id: string; to: Reschedule }[];
};

export function defaultAvailability(): Availability {
  return {
    work_days: ["mon", "tue", "wed", "thu", "fri"],
    work_start: "08:00:00",
    work_end: "16:30:00",
    absences: [],
    deputy_id: null,
  };
}

export function defaultNotifySettings(): NotifySettings {
  return {
    reminders: true,
    due_soon: true,
    morning_digest: true,
    end_of_day_review: true,
    assigned: true,
    completed: true,
    comments: true,
    due_soon_minutes: 60,
    digest_time: "08:30:00",
    review_time: "16:30:00",
    quiet_from: null,
    quiet_to: null,
    paused_until: null,
  };
}

export function fakeReminders(colleagues: Colleague[], patch: Partial<FakeReminders> = {}): FakeReminders {
  return {
    colleagues,
    notify: defaultNotifySettings(),
    desktop: { autostart: false, start_minimized: false, close_to_tray: true },
    overrides: [],
    openTasks: {},
    rescheduled: [],
    ...patch,
  };
}

export function task(patch: Partial<Task>): Task {
  return {
    id: crypto.randomUUID(),
    creator_id: "me",
    status: "open",
    outcome: null,
    completed_by: null,
    completed_at: null,
    cancel_reason: null,
    created_at: "2026-03-01T08:00:00.000000Z",
    updated_at: "2026-03-10T08:00:00.000000Z",
    title: "Feladat",
    description: "",
    customer_id: null,
    project_id: null,
    responsible_id: "me",
    watchers: [],
    priority: "normal",
    start_date: null,
    due: null,
    reminder_at: null,
    checklist: [],
    attachments: [],
    recurrence: null,
    ...patch,
  };
}

/** Gregorian Easter Sunday (anonymous algorithm). */
function easter(year: number): string {
  const a = year % 19,
    b = Math.floor(year / 100),
    c = year % 100;
  const h = (19 * a + b - Math.floor(b / 4) - Math.floor((b - Math.floor((8 * b + 13) / 25)) / 3) + 15) % 30;
  const l = (32 + 2 * (b % 4) + 2 * Math.floor(c / 4) - h - (c % 4)) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

export function holidaysOf(year: number): HolidayDate[] {
  const on = (md: string) => `${year}-${md}`;
  const sunday = easter(year);
  const list: HolidayDate[] = [
    { date: on("01-01"), holiday: "new_year" },
    { date: on("03-15"), holiday: "revolution1848" },
    { date: addDays(sunday, -2), holiday: "good_friday" },
    { date: addDays(sunday, 1), holiday: "easter_monday" },
    { date: on("05-01"), holiday: "labour_day" },
    { date: addDays(sunday, 50), holiday: "whit_monday" },
    { date: on("08-20"), holiday: "state_foundation" },
    { date: on("10-23"), holiday: "revolution1956" },
    { date: on("11-01"), holiday: "all_saints" },
    ...(year >= 2025 ? [{ date: on("12-24"), holiday: "christmas_eve" as const }] : []),
    { date: on("12-25"), holiday: "christmas" },
    { date: on("12-26"), holiday: "christmas_second_day" },
  ];
  return list.sort((x, y) => x.date.localeCompare(y.date));
}

type ReminderCalls = Pick<
  Backend,
  | "notifySettings"
  | "setNotifySettings"
  | "pauseNotifications"
  | "workCalendar"
  | "setCalendarOverrides"
  | "nextWorkingDay"
  | "setAvailability"
  | "absenceWarning"
  | "handOver"
  | "rescheduleTask"
  | "trayModel"
  | "desktopOptions"
  | "setDesktopOptions"
>;

export function reminderCalls(state: FakeReminders): ReminderCalls {
  const colleague = (id: string) => {
    const found = state.colleagues.find((c) => c.id === id);
    if (!found) throw new CommandError({ code: "not_found", message: "no such colleague" });
    return found;
  };
  const answer = <T>(make: () => T): Promise<T> => new Promise<T>((resolve) => resolve(make()));
  const isWorking = (day: string) => {
    const override = state.overrides.find((o) => o.date === day);
    if (override) return override.working;
    const weekday = new Date(`${day}T12:00:00Z`).getUTCDay();
    return weekday !== 0 && weekday !== 6 && !holidaysOf(Number(day.slice(0, 4))).some((h) => h.date === day);
  };
  const nextWorking = (after: string) => {
    let day = addDays(after, 1);
    while (!isWorking(day)) day = addDays(day, 1);
    return day;
  };
  const today = () => new Date().toISOString().slice(0, 10);
  return {
    notifySettings: () => answer(() => ({ ...state.notify })),
    setNotifySettings: (settings) => answer(() => ({ ...(state.notify = { ...settings }) })),
    pauseNotifications: (minutes) =>
      answer(() => {
        state.notify.paused_until =
          minutes === null ? null : new Date(Date.now() + minutes * 60_000).toISOString();
        return { ...state.notify };
      }),
    workCalendar: (year) =>
      answer(() => ({ year, holidays: holidaysOf(year), overrides: [...state.overrides] })),
    setCalendarOverrides: (year, overrides) =>
      answer(() => {
        state.overrides = [...overrides].sort((a, b) => a.date.localeCompare(b.date));
        return { year, holidays: holidaysOf(year), overrides: [...state.overrides] };
      }),
    nextWorkingDay: (after) => answer(() => nextWorking(after)),
    setAvailability: (colleagueId, availability) =>
      answer(() => {
        const found = colleague(colleagueId);
        found.availability = structuredClone(availability);
        return found;
      }),
    absenceWarning: (colleagueId, day) =>
      answer(() => {
        const person = colleague(colleagueId);
        const absence = person.availability.absences.find((a) => a.from <= day && day <= a.to);
        if (!absence) return null;
        const deputy =
          state.colleagues.find((c) => c.id === person.availability.deputy_id && c.active) ?? null;
        return { colleague_id: colleagueId, absence, deputy };
      }),
    handOver: (from, to) =>
      answer(() => {
        if (from === to)
          throw new CommandError({ code: "invalid_input", message: "hand over to someone else" });
        const moved = state.openTasks[from] ?? 0;
        state.openTasks[to] = (state.openTasks[to] ?? 0) + moved;
        state.openTasks[from] = 0;
        return moved;
      }),
    rescheduleTask: (id, to) =>
      answer(() => {
        state.rescheduled.push({ id, to });
        const day =
          to.kind === "tomorrow"
            ? addDays(today(), 1)
            : to.kind === "next_working_day"
              ? nextWorking(today())
              : to.date;
        return task({ id, due: { day } });
      }),
    trayModel: () =>
      answer(() => ({
        count: 0,
        overdue: 0,
        tooltip: "Duly",
        items: [],
        paused: state.notify.paused_until !== null,
        quick_add: "Új feladat",
        open: "Megnyitás",
        pause: "Szüneteltetés",
        quit: "Kilépés",
        empty: "Nincs mai feladat",
      })),
    desktopOptions: () => answer(() => ({ ...state.desktop })),
    setDesktopOptions: (options) => answer(() => ({ ...(state.desktop = { ...options }) })),
  };
}
