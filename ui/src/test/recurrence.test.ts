import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Recurrence } from "../lib/api/bindings/Recurrence";
import type { RecurrenceRule } from "../lib/api/bindings/RecurrenceRule";
import type { Task } from "../lib/api/bindings/Task";
import type { TaskInput } from "../lib/api/bindings/TaskInput";
import { i18n, t } from "../lib/i18n/index.svelte";
import { describeRecurrence, weekdayOf } from "../lib/recurrence";
import { APP_CONTEXT, AppState } from "../lib/state/app.svelte";
import TaskPage from "../components/views/TaskPage.svelte";
import { GABOR, ME, colleagues, fakeBackend } from "./fake-backend";
import { fakeReminders, task } from "./fake-reminders";

function rule(patch: Partial<RecurrenceRule>): RecurrenceRule {
  return {
    repeat: { kind: "daily" },
    interval: 1,
    ends: { kind: "never" },
    create_ahead_days: null,
    ...patch,
  };
}

beforeEach(() => {
  i18n.language = "hu";
  i18n.timeZone = "Europe/Budapest";
});
afterEach(() => cleanup());

describe("describeRecurrence", () => {
  it("says a rule in Hungarian, with the day suffixes", () => {
    i18n.language = "hu";
    expect(describeRecurrence(rule({}), t)).toBe("Naponta");
    expect(describeRecurrence(rule({ interval: 3 }), t)).toBe("Minden 3. napon");
    expect(describeRecurrence(rule({ repeat: { kind: "monthly_on_day", day: 31 } }), t)).toBe(
      "Havonta, 31-én",
    );
    expect(describeRecurrence(rule({ repeat: { kind: "monthly_on_day", day: 1 } }), t)).toBe(
      "Havonta, 1-jén",
    );
    expect(describeRecurrence(rule({ repeat: { kind: "monthly_on_day", day: 20 }, interval: 2 }), t)).toBe(
      "Minden 2. hónapban, 20-án",
    );
    expect(
      describeRecurrence(rule({ repeat: { kind: "weekly", days: ["thu", "mon"] }, interval: 2 }), t),
    ).toBe("Minden 2. héten hétfőn, csütörtökön");
    expect(describeRecurrence(rule({ repeat: { kind: "weekly", days: ["fri"] } }), t)).toBe(
      "Hetente pénteken",
    );
    expect(describeRecurrence(rule({ repeat: { kind: "monthly_working_day", nth: 3 } }), t)).toBe(
      "Havonta, a hónap 3. munkanapján",
    );
    expect(describeRecurrence(rule({ repeat: { kind: "monthly_working_day", nth: -1 } }), t)).toBe(
      "Havonta, a hónap utolsó munkanapján",
    );
    expect(describeRecurrence(rule({ repeat: { kind: "yearly", month: 3, day: 15 } }), t)).toBe(
      "Évente, március 15-én",
    );
    expect(
      describeRecurrence(rule({ ends: { kind: "after_count", count: 5 }, create_ahead_days: 3 }), t),
    ).toBe("Naponta, 5 alkalommal, 3 nappal előre létrehozva");
    expect(describeRecurrence(rule({ ends: { kind: "on_date", date: "2026-12-31" } }), t)).toBe(
      "Naponta, eddig: 2026. december 31.",
    );
  });

  it("and in English, with ordinals and plurals", () => {
    i18n.language = "en";
    expect(describeRecurrence(rule({}), t)).toBe("Daily");
    expect(describeRecurrence(rule({ repeat: { kind: "monthly_on_day", day: 31 } }), t)).toBe(
      "Monthly on the 31st",
    );
    expect(describeRecurrence(rule({ repeat: { kind: "monthly_on_day", day: 22 }, interval: 3 }), t)).toBe(
      "Every 3 months on the 22nd",
    );
    expect(
      describeRecurrence(rule({ repeat: { kind: "weekly", days: ["thu", "mon"] }, interval: 2 }), t),
    ).toBe("Every 2 weeks on Monday, Thursday");
    expect(describeRecurrence(rule({ repeat: { kind: "monthly_working_day", nth: 2 } }), t)).toBe(
      "Monthly on the 2nd working day",
    );
    expect(describeRecurrence(rule({ repeat: { kind: "monthly_working_day", nth: -1 } }), t)).toBe(
      "Monthly on the last working day",
    );
    expect(describeRecurrence(rule({ repeat: { kind: "yearly", month: 3, day: 15 }, interval: 2 }), t)).toBe(
      "Every 2 years on 15 March",
    );
    expect(describeRecurrence(rule({ ends: { kind: "after_count", count: 1 } }), t)).toBe("Daily, once");
    expect(
      describeRecurrence(rule({ ends: { kind: "after_count", count: 5 }, create_ahead_days: 1 }), t),
    ).toBe("Daily, 5 times, created 1 day ahead");
    expect(describeRecurrence(rule({ ends: { kind: "on_date", date: "2026-12-31" } }), t)).toBe(
      "Daily, until 31 December 2026",
    );
  });

  it("knows the weekday of a day", () => {
    expect(weekdayOf("2026-03-09")).toBe("mon");
    expect(weekdayOf("2026-03-15")).toBe("sun");
  });
});

describe("Task page: recurrence and absence", () => {
  async function openTask(
    stored: Task,
    fake = fakeBackend({
      taskDetail: () => Promise.resolve({ task: stored, customer_name: null, comments: [], history: [] }),
      updateTask: (id, input) => Promise.resolve(task({ id: id as string, ...(input as TaskInput) })),
    }),
  ) {
    const app = new AppState(fake.backend);
    await app.start();
    render(TaskPage, { props: { id: stored.id }, context: new Map([[APP_CONTEXT, app]]) });
    await screen.findByTestId("task-page");
    return fake;
  }

  async function savedInput(fake: ReturnType<typeof fakeBackend>): Promise<TaskInput> {
    await fireEvent.click(screen.getByTestId("task-save"));
    await waitFor(() => expect(fake.calls.some((c) => c.name === "updateTask")).toBe(true));
    return fake.calls.find((c) => c.name === "updateTask")?.args[1] as TaskInput;
  }

  it("a new monthly rule on the 31st", async () => {
    const fake = await openTask(task({ id: "t1", responsible_id: ME, due: { day: "2026-03-10" } }));
    expect(screen.queryByTestId("recurrence-summary")).toBeNull();
    await fireEvent.click(screen.getByTestId("recurrence-toggle"));
    await fireEvent.change(screen.getByTestId("recurrence-kind"), { target: { value: "monthly_on_day" } });
    expect((screen.getByTestId("recurrence-day") as HTMLSelectElement).value).toBe("10");
    await fireEvent.change(screen.getByTestId("recurrence-day"), { target: { value: "31" } });
    expect(screen.getByText("Rövidebb hónapban a hónap utolsó napján.")).toBeTruthy();
    expect(screen.getByTestId("recurrence-preview").textContent).toBe("Havonta, 31-én");

    const input = await savedInput(fake);
    expect(input.recurrence).toEqual({
      rule: {
        repeat: { kind: "monthly_on_day", day: 31 },
        interval: 1,
        ends: { kind: "never" },
        create_ahead_days: null,
      },
      series_id: null,
      starts_on: null,
      occurrence: 1,
      occurrence_day: null,
      time_zone: "Europe/Budapest",
    });
  });

  it("weekly on Monday and Thursday every 2 weeks, ending after 5", async () => {
    // 10 March 2026 is a Tuesday: a new weekly rule starts on that day.
    const fake = await openTask(task({ id: "t1", responsible_id: ME, due: { day: "2026-03-10" } }));
    await fireEvent.click(screen.getByTestId("recurrence-toggle"));
    expect((screen.getByTestId("recurrence-kind") as HTMLSelectElement).value).toBe("weekly");
    expect((screen.getByTestId("recurrence-weekday-tue") as HTMLInputElement).checked).toBe(true);
    await fireEvent.click(screen.getByTestId("recurrence-weekday-thu"));
    await fireEvent.click(screen.getByTestId("recurrence-weekday-mon"));
    await fireEvent.click(screen.getByTestId("recurrence-weekday-tue"));
    await fireEvent.change(screen.getByTestId("recurrence-interval"), { target: { value: "2" } });
    await fireEvent.change(screen.getByTestId("recurrence-ends"), { target: { value: "after_count" } });
    await fireEvent.change(screen.getByTestId("recurrence-count"), { target: { value: "5" } });
    expect(screen.getByTestId("recurrence-preview").textContent).toBe(
      "Minden 2. héten hétfőn, csütörtökön, 5 alkalommal",
    );

    const input = await savedInput(fake);
    expect(input.recurrence).toEqual({
      rule: {
        repeat: { kind: "weekly", days: ["mon", "thu"] },
        interval: 2,
        ends: { kind: "after_count", count: 5 },
        create_ahead_days: null,
      },
      series_id: null,
      starts_on: null,
      occurrence: 1,
      occurrence_day: null,
      time_zone: "Europe/Budapest",
    });
  });

  it("editing an existing rule keeps its place in the series; the page says the saved rule", async () => {
    const existing: Recurrence = {
      rule: rule({ repeat: { kind: "monthly_on_day", day: 31 } }),
      series_id: "series-1",
      starts_on: "2026-01-31",
      occurrence: 3,
      occurrence_day: "2026-03-31",
      time_zone: "Europe/Budapest",
    };
    const fake = await openTask(
      task({ id: "t1", responsible_id: ME, due: { day: "2026-03-31" }, recurrence: existing }),
    );
    expect(screen.getByTestId("recurrence-summary").textContent?.trim()).toBe("Havonta, 31-én");
    await fireEvent.change(screen.getByTestId("recurrence-create-ahead"), { target: { value: "5" } });
    const input = await savedInput(fake);
    expect(input.recurrence).toEqual({ ...existing, rule: { ...existing.rule, create_ahead_days: 5 } });
  });

  it("without a due date the switch is off limits and says why", async () => {
    await openTask(task({ id: "t1", responsible_id: ME, due: null }));
    expect((screen.getByTestId("recurrence-toggle") as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByTestId("recurrence-needs-due").textContent).toBe("Az ismétlődéshez határidő kell.");
  });

  it("warns when the responsible is away on the due day and hands the task to the deputy", async () => {
    const people = colleagues();
    people[1].availability.absences = [{ from: "2026-03-09", to: "2026-03-13", note: "Szabadság" }];
    people[1].availability.deputy_id = ME;
    const stored = task({ id: "t1", responsible_id: GABOR, due: { day: "2026-03-10" } });
    const fake = fakeBackend(
      {
        taskDetail: () => Promise.resolve({ task: stored, customer_name: null, comments: [], history: [] }),
        updateTask: (id, input) => Promise.resolve(task({ id: id as string, ...(input as TaskInput) })),
      },
      undefined,
      fakeReminders(people),
    );
    await openTask(stored, fake);
    const warning = await screen.findByTestId("absence-warning");
    expect(warning.textContent).toContain("Tóth Gábor távol van (márc. 9.–márc. 13.)");
    expect(fake.calls.find((c) => c.name === "absenceWarning")?.args).toEqual([GABOR, "2026-03-10"]);
    await fireEvent.click(screen.getByTestId("absence-use-deputy"));
    await waitFor(() => expect(screen.queryByTestId("absence-warning")).toBeNull());
    const input = await savedInput(fake);
    expect(input.responsible_id).toBe(ME);
  });
});
