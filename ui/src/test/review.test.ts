import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { StatusChange } from "../lib/api/bindings/StatusChange";
import type { Task } from "../lib/api/bindings/Task";
import type { TaskInput } from "../lib/api/bindings/TaskInput";
import { addDays } from "../lib/format";
import { i18n } from "../lib/i18n/index.svelte";
import { APP_CONTEXT, AppState } from "../lib/state/app.svelte";
import App from "../App.svelte";
import ReviewView from "../components/views/ReviewView.svelte";
// The window loads these pages when first shown: loaded here up front, so a test's deadline
// does not include compiling them.
import "../components/views/TaskPage.svelte";
import "../components/tasks/QuickAdd.svelte";
import { GABOR, ME, fakeBackend, summary } from "./fake-backend";
import { task } from "./fake-reminders";

async function start(fake: ReturnType<typeof fakeBackend>) {
  const app = new AppState(fake.backend);
  await app.start();
  return { app, context: new Map([[APP_CONTEXT, app]]) };
}

const title = () => screen.getByTestId("review-task-title").textContent;

beforeEach(() => {
  i18n.language = "hu";
  i18n.timeZone = "Europe/Budapest";
});
afterEach(() => cleanup());

describe("End-of-day review", () => {
  it("walks the Today list one task at a time: tomorrow, then done with its outcome, then finished", async () => {
    const overdue = summary({ id: "t1", title: "Lejárt számla", overdue: true, due: { day: "2026-03-01" } });
    const today = summary({ id: "t2", title: "Ajánlat küldése", customer_name: "Szabó Bt" });
    const fake = fakeBackend({
      listTasks: () => Promise.resolve([overdue, today]),
      setTaskStatus: (id, change) =>
        Promise.resolve(
          task({ id: id as string, status: "done", outcome: (change as StatusChange).outcome }),
        ),
    });
    const { context } = await start(fake);
    render(ReviewView, { context });

    expect((await screen.findByTestId("review-task-title")).textContent).toBe("Lejárt számla");
    expect(screen.getByTestId("review-position").textContent).toBe("1 / 2");
    expect(screen.getByTestId("review-overdue").textContent).toBe("lejárt");
    expect(fake.calls.find((c) => c.name === "listTasks")?.args[0]).toEqual({ kind: "today" });

    await fireEvent.click(screen.getByTestId("review-tomorrow"));
    await waitFor(() => expect(title()).toBe("Ajánlat küldése"));
    expect(fake.reminders.rescheduled).toEqual([{ id: "t1", to: { kind: "tomorrow" } }]);
    expect(screen.getByTestId("review-position").textContent).toBe("2 / 2");
    expect(screen.getByTestId("review-task").textContent).toContain("Szabó Bt");
    expect(screen.queryByTestId("review-overdue")).toBeNull();

    // Done without an outcome is refused before the core is asked.
    await fireEvent.click(screen.getByTestId("review-done"));
    await fireEvent.click(screen.getByTestId("review-confirm-done"));
    expect((await screen.findByRole("alert")).textContent).toBe("A lezáráshoz írd le az eredményt.");
    expect(fake.calls.some((c) => c.name === "setTaskStatus")).toBe(false);

    await fireEvent.input(screen.getByTestId("review-outcome"), {
      target: { value: "Elküldve, jövő héten döntenek." },
    });
    await fireEvent.click(screen.getByTestId("review-confirm-done"));
    const finished = await screen.findByTestId("review-finished");
    expect(finished.textContent).toContain("Minden mai feladat rendezve");
    expect(screen.queryByTestId("review-left-open")).toBeNull();
    expect(fake.calls.filter((c) => c.name === "setTaskStatus").map((c) => c.args)).toEqual([
      ["t2", { status: "done", outcome: "Elküldve, jövő héten döntenek.", reason: null }],
    ]);
  });

  it("a comment leaves the task open and moves on; reassigning keeps every other field; a picked date moves the due", async () => {
    const tasks = [
      summary({ id: "t1", title: "Visszahívás" }),
      summary({ id: "t2", title: "Szerződés" }),
      summary({ id: "t3", title: "Számla" }),
    ];
    const stored: Task = task({
      id: "t2",
      title: "Szerződés",
      responsible_id: ME,
      watchers: [GABOR],
      priority: "high",
      due: { day: "2026-03-10" },
      description: "Részletek",
    });
    const fake = fakeBackend({
      listTasks: () => Promise.resolve(tasks),
      addComment: () => Promise.resolve({} as never),
      taskDetail: () => Promise.resolve({ task: stored, customer_name: null, comments: [], history: [] }),
      updateTask: (id, input) => Promise.resolve(task({ id: id as string, ...(input as TaskInput) })),
    });
    const { context } = await start(fake);
    i18n.language = "en";
    render(ReviewView, { context });

    await fireEvent.click(await screen.findByTestId("review-comment"));
    expect((screen.getByTestId("review-confirm-comment") as HTMLButtonElement).disabled).toBe(true);
    await fireEvent.input(screen.getByTestId("review-comment-text"), {
      target: { value: "Nem vette fel, holnap újra." },
    });
    await fireEvent.click(screen.getByTestId("review-confirm-comment"));
    await waitFor(() => expect(title()).toBe("Szerződés"));
    expect(fake.calls.find((c) => c.name === "addComment")?.args[0]).toEqual({
      target: { kind: "task", id: "t1" },
      body: "Nem vette fel, holnap újra.",
      keyword_ids: [],
      task_status_change: null,
      customer_status_change: null,
      attachments: [],
    });
    expect(fake.calls.some((c) => c.name === "setTaskStatus")).toBe(false);

    await fireEvent.click(screen.getByTestId("review-reassign"));
    expect((screen.getByTestId("review-assignee") as HTMLSelectElement).value).toBe(GABOR);
    await fireEvent.click(screen.getByTestId("review-confirm-reassign"));
    await waitFor(() => expect(title()).toBe("Számla"));
    const [id, input] = fake.calls.find((c) => c.name === "updateTask")?.args as [string, TaskInput];
    expect(id).toBe("t2");
    expect(input).toMatchObject({
      title: "Szerződés",
      description: "Részletek",
      responsible_id: GABOR,
      watchers: [GABOR],
      priority: "high",
      due: { day: "2026-03-10" },
    });

    await fireEvent.click(screen.getByTestId("review-pick-date"));
    expect((screen.getByTestId("review-confirm-date") as HTMLButtonElement).disabled).toBe(true);
    // A day after today: a task moved to today would stay in the review.
    const later = addDays(i18n.today(), 7);
    await fireEvent.input(screen.getByTestId("review-date"), { target: { value: later } });
    await fireEvent.click(screen.getByTestId("review-confirm-date"));
    await screen.findByTestId("review-finished");
    expect(fake.reminders.rescheduled).toEqual([{ id: "t3", to: { kind: "day", date: later } }]);
    expect(screen.getByTestId("review-finished").textContent).toContain("Everything for today is settled");
    expect(screen.getByTestId("review-left-open").textContent).toBe("1 task stays open with a comment.");
  });

  it("an empty Today list is settled at once", async () => {
    const fake = fakeBackend({ listTasks: () => Promise.resolve([]) });
    const { context } = await start(fake);
    render(ReviewView, { context });
    expect((await screen.findByTestId("review-finished")).textContent).toContain(
      "Minden mai feladat rendezve",
    );
  });
});

describe("Notification and tray events", () => {
  async function mountApp() {
    const fake = fakeBackend({
      listTasks: () => Promise.resolve([]),
      taskDetail: () =>
        Promise.resolve({
          task: task({ id: "t9", title: "Értesítésből", responsible_id: ME }),
          customer_name: null,
          comments: [],
          history: [],
        }),
    });
    render(App, { props: { backend: fake.backend } });
    await screen.findByTestId("nav-review");
    // The sync state comes with the first screen's data, asked for with the listeners.
    await waitFor(() => expect(fake.calls.some((c) => c.name === "startup")).toBe(true));
    return fake;
  }

  it('"duly://open" leads to the review, a task page, the Today list or My tasks', async () => {
    const fake = await mountApp();
    expect(screen.getByTestId("view-today")).toBeTruthy();
    fake.emitOpen({ kind: "review" });
    expect(await screen.findByTestId("review-view")).toBeTruthy();
    expect(screen.getByTestId("nav-review").getAttribute("aria-current")).toBe("page");

    fake.emitOpen({ kind: "task", id: "t9" });
    expect((await screen.findByTestId("task-page")).textContent).toContain("Értesítésből");
    fake.emitOpen({ kind: "today" });
    expect(await screen.findByTestId("view-today")).toBeTruthy();
    fake.emitOpen({ kind: "my_tasks" });
    expect(await screen.findByTestId("view-mine")).toBeTruthy();
  });

  it('"duly://quick-add" opens the new task form', async () => {
    const fake = await mountApp();
    expect(screen.queryByTestId("quick-add")).toBeNull();
    fake.emitQuickAdd();
    expect(await screen.findByTestId("quick-add")).toBeTruthy();
  });
});
