import { t, type MessageKey } from "../i18n/index.svelte";
import { CommandError } from "./backend";

/** The core's input fields that a refusal can name, in the user's words. */
const FIELDS: Record<string, MessageKey> = {
  title: "field.title",
  description: "field.description",
  outcome: "field.outcome",
  reason: "field.reason",
  email: "field.email",
  "contacts.email": "field.email",
  date: "field.date",
  recurrence: "field.recurrence",
  "recurrence.time_zone": "field.timeZone",
  preference: "field.preference",
  quiet_to: "field.quietHours",
  due_soon_minutes: "field.dueSoon",
  review_time: "field.reviewTime",
  to: "field.deputy",
  "availability.deputy_id": "field.deputy",
  "availability.work_end": "field.workHours",
  "availability.absences": "field.absences",
  "availability.absences.note": "field.absences",
  url: "field.url",
};

/** A failed command in the user's words, chosen by its code (and the field it names), never by its text. */
export function describeError(error: unknown): string {
  if (error instanceof CommandError) {
    const field = error.error.field ? FIELDS[error.error.field] : undefined;
    if (error.code === "invalid_input" || error.code === "too_long") {
      if (field) return t(`error.${error.code}_field`, { field: t(field) });
    }
    return t(`error.${error.code}`);
  }
  return t("error.internal");
}
