// How stored values read on screen: colleague ids as names, instants and days in the user's
// time zone and language, stock labels translated. Used by the history and the sync pages.
import type { TaskStatus } from "./api/bindings/TaskStatus";
import { hu } from "./i18n/hu";
import { i18n, t, type MessageKey } from "./i18n/index.svelte";
import type { AppState } from "./state/app.svelte";

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

export function showValue(app: AppState, value: unknown): string {
  if (value === null || value === undefined || value === "") return t("common.none");
  if (typeof value === "string") {
    if (app.boot?.colleagues.some((c) => c.id === value)) return app.colleagueName(value);
    if (ISO_INSTANT.test(value)) return i18n.dateTime(value);
    if (["open", "in_progress", "waiting", "done", "cancelled"].includes(value))
      return app.statusLabel(value as TaskStatus);
    if (["low", "normal", "high", "urgent"].includes(value)) return t(`priority.${value as "low"}`);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => showValue(app, v)).join(", ") || t("common.none");
  if (typeof value === "object" && "day" in value) return i18n.day(String((value as { day: string }).day));
  if (typeof value === "object" && "at" in value) return i18n.dateTime(String((value as { at: string }).at));
  if (typeof value === "object" && "text" in value) return String((value as { text: string }).text);
  return JSON.stringify(value);
}

/** A field's name inside a sentence ("cím", "határidő"); unknown fields as they are stored. */
export function fieldWord(field: string | null | undefined): string {
  if (!field) return t("common.none");
  const key = `field.${field}`;
  return key in hu ? t(key as MessageKey) : field;
}

/** Long values (descriptions) shortened for one line. */
export function clip(text: string, max = 160): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
