// Messages in Hungarian and English through ICU MessageFormat (plurals included); dates and
// times through Intl in the chosen language and time zone.
import { IntlMessageFormat } from "intl-messageformat";
import { en } from "./en";
import { hu } from "./hu";

export type MessageKey = keyof typeof hu;
export type Messages = Record<MessageKey, string>;
export type Language = "hu" | "en";

const catalogues: Record<Language, Messages> = { hu, en };

// Building an Intl.DateTimeFormat costs far more than using one (locale data is looked up and
// resolved each time), and a list formats a date or two per row: one per locale, zone and
// options, kept for the session (a handful in practice).
const dateFormats = new Map<string, Intl.DateTimeFormat>();

export function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options);
    dateFormats.set(key, format);
  }
  return format;
}

class I18n {
  language = $state<Language>("hu");
  timeZone = $state<string>("Europe/Budapest");
  #cache = new Map<string, IntlMessageFormat>();

  get locale() {
    return this.language === "hu" ? "hu-HU" : "en-GB";
  }

  t = (key: MessageKey, values?: Record<string, string | number>): string => {
    const text = catalogues[this.language][key] ?? key;
    if (!values && !text.includes("{")) return text;
    const cacheKey = `${this.language}:${key}`;
    let format = this.#cache.get(cacheKey);
    if (!format) {
      format = new IntlMessageFormat(text, this.locale);
      this.#cache.set(cacheKey, format);
    }
    return String(format.format(values));
  };

  /** A calendar day ("2026-03-01") in the user's language, without shifting it by time zone. */
  day = (isoDay: string, style: "short" | "long" = "short"): string => {
    const [y, m, d] = isoDay.split("-").map(Number);
    const date = new Date(Date.UTC(y, m - 1, d, 12));
    return dateFormat(this.locale, {
      timeZone: "UTC",
      ...(style === "long" ? { dateStyle: "long" } : { month: "short", day: "numeric" }),
    }).format(date);
  };

  /** An instant in the user's time zone. */
  dateTime = (iso: string): string =>
    dateFormat(this.locale, {
      timeZone: this.timeZone,
      dateStyle: "medium",
      timeStyle: "short",
    }).format(new Date(iso));

  time = (iso: string): string =>
    dateFormat(this.locale, {
      timeZone: this.timeZone,
      hour: "2-digit",
      minute: "2-digit",
    }).format(new Date(iso));

  /** Today's date ("2026-03-01") in the user's time zone. */
  today = (now: Date = new Date()): string => localDay(now, this.timeZone);
}

export function localDay(instant: Date, timeZone: string): string {
  const parts = dateFormat("en-CA", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

export const i18n = new I18n();
export const t = i18n.t;
