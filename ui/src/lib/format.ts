// How dues read in a list: relative days in the user's language and time zone.
import type { Due } from './api/bindings/Due';
import { i18n, localDay, t } from './i18n/index.svelte';

const DAY_MS = 86_400_000;

export function daysBetween(fromDay: string, toDay: string): number {
  return Math.round((Date.parse(`${toDay}T00:00:00Z`) - Date.parse(`${fromDay}T00:00:00Z`)) / DAY_MS);
}

/** The local day a due falls on. */
export function dueDay(due: Due, timeZone: string): string {
  return 'day' in due ? due.day : localDay(new Date(due.at), timeZone);
}

/** "ma 14:00", "holnap", "2 napja lejárt", "márc. 3." … */
export function dueLabel(due: Due | null, now: Date = new Date()): string {
  if (!due) return t('due.none');
  const today = i18n.today(now);
  const day = dueDay(due, i18n.timeZone);
  const offset = daysBetween(today, day);
  const time = 'at' in due ? ` ${i18n.time(due.at)}` : '';
  if (offset < 0) return t('due.overdue', { days: -offset });
  if (offset === 0) {
    if ('at' in due && Date.parse(due.at) < now.getTime()) return `${t('due.overdueHours')}${time}`;
    return `${t('due.today')}${time}`;
  }
  if (offset === 1) return `${t('due.tomorrow')}${time}`;
  return `${i18n.day(day)}${time}`;
}

export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}
