import { beforeEach, describe, expect, it } from "vitest";
import { CommandError } from "../lib/api/backend";
import { describeError } from "../lib/api/errors";
import { addDays, daysBetween, dueLabel, instantOf, wallClock } from "../lib/format";
import { i18n } from "../lib/i18n/index.svelte";
import { renderMarkdown } from "../lib/markdown";

// 10 March 2026, 10:00 in Budapest (09:00 UTC).
const now = new Date("2026-03-10T09:00:00Z");

describe("due labels follow the language and the time zone", () => {
  beforeEach(() => {
    i18n.timeZone = "Europe/Budapest";
  });

  it("says today, tomorrow and how long ago it fell due, in Hungarian", () => {
    i18n.language = "hu";
    expect(dueLabel({ day: "2026-03-10" }, now)).toBe("ma");
    expect(dueLabel({ day: "2026-03-11" }, now)).toBe("holnap");
    expect(dueLabel({ day: "2026-03-08" }, now)).toBe("2 napja lejárt");
    expect(dueLabel({ day: "2026-03-09" }, now)).toBe("1 napja lejárt");
  });

  it("and in English, with plural forms", () => {
    i18n.language = "en";
    expect(dueLabel({ day: "2026-03-10" }, now)).toBe("today");
    expect(dueLabel({ day: "2026-03-11" }, now)).toBe("tomorrow");
    expect(dueLabel({ day: "2026-03-08" }, now)).toBe("overdue by 2 days");
    expect(dueLabel({ day: "2026-03-09" }, now)).toBe("overdue by 1 day");
  });

  it("puts a timed due on the local day: 23:30 in Budapest is today, not tomorrow", () => {
    i18n.language = "en";
    // 22:30 UTC is 23:30 in Budapest (winter time).
    expect(dueLabel({ at: "2026-03-10T22:30:00Z" }, now)).toBe("today 23:30");
    i18n.timeZone = "UTC";
    expect(dueLabel({ at: "2026-03-10T23:30:00Z" }, now)).toBe("today 23:30");
    i18n.timeZone = "Asia/Tokyo";
    expect(dueLabel({ at: "2026-03-10T22:30:00Z" }, now)).toBe("tomorrow 07:30");
  });
});

describe("days", () => {
  it("counts days across the summer-time change", () => {
    expect(daysBetween("2026-03-28", "2026-03-30")).toBe(2);
    expect(addDays("2026-03-29", 1)).toBe("2026-03-30");
  });
});

describe("markdown from colleagues and guests is sanitised", () => {
  it("keeps formatting and drops scripts, handlers and javascript links", () => {
    const html = renderMarkdown(
      '**fontos** <script>alert(1)</script> <img src=x onerror="alert(2)"> [x](javascript:alert(3))',
    );
    expect(html).toContain("<strong>fontos</strong>");
    expect(html).not.toMatch(/script|onerror|javascript:|<img/i);
  });
});

describe("wall-clock times are read and written in the chosen zone, not the computer's", () => {
  it("reads an instant as the clock in that zone shows it", () => {
    expect(wallClock("2026-03-10T08:30:00Z", "Europe/Budapest")).toBe("2026-03-10T09:30");
    expect(wallClock("2026-07-10T08:30:00Z", "Europe/Budapest")).toBe("2026-07-10T10:30");
    expect(wallClock("2026-03-10T08:30:00Z", "Asia/Tokyo")).toBe("2026-03-10T17:30");
    expect(wallClock("2026-03-10T23:30:00Z", "Europe/Budapest")).toBe("2026-03-11T00:30");
  });

  it("turns a wall-clock time into its instant, across summer time", () => {
    expect(instantOf("2026-03-10T09:30", "Europe/Budapest")).toBe("2026-03-10T08:30:00.000Z");
    expect(instantOf("2026-07-10T10:30", "Europe/Budapest")).toBe("2026-07-10T08:30:00.000Z");
    // 29 March 2026: 03:00 in Budapest is the first hour of summer time.
    expect(instantOf("2026-03-29T03:00", "Europe/Budapest")).toBe("2026-03-29T01:00:00.000Z");
    expect(instantOf("2026-03-29T01:30", "Europe/Budapest")).toBe("2026-03-29T00:30:00.000Z");
    expect(instantOf("2026-03-10T17:30", "Asia/Tokyo")).toBe("2026-03-10T08:30:00.000Z");
    for (const wall of ["2026-10-25T12:00", "2026-12-31T23:59", "2026-01-01T00:00"]) {
      expect(wallClock(instantOf(wall, "Europe/Budapest"), "Europe/Budapest")).toBe(wall);
    }
  });
});

describe("a refused input is named in the user's language, never in the core's English", () => {
  it("names a known field, and says only what is wrong without one", () => {
    const refusal = (field: string | null) =>
      new CommandError({
        code: "invalid_input",
        message: `${field}: the new due day is already past`,
        field,
      });
    i18n.language = "hu";
    expect(describeError(refusal("date"))).toBe("Hiányzó vagy hibás adat: dátum.");
    expect(describeError(refusal("something_new"))).toBe("Hiányzó vagy hibás adat.");
    expect(describeError(refusal(null))).toBe("Hiányzó vagy hibás adat.");
    expect(
      describeError(
        new CommandError({
          code: "too_long",
          message: "title is longer than 500 characters",
          field: "title",
        }),
      ),
    ).toBe("Túl hosszú szöveg: cím.");
    i18n.language = "en";
    expect(describeError(refusal("recurrence"))).toBe("Missing or invalid: repetition.");
    i18n.language = "hu";
  });
});
