import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CommandError } from "../lib/api/backend";
import { i18n } from "../lib/i18n/index.svelte";
import { APP_CONTEXT, AppState } from "../lib/state/app.svelte";
import App from "../App.svelte";
import QuickAdd from "../components/tasks/QuickAdd.svelte";
import TaskList from "../components/tasks/TaskList.svelte";
import { ME, fakeBackend, summary } from "./fake-backend";

async function appWith(backend: ReturnType<typeof fakeBackend>["backend"]) {
  const app = new AppState(backend);
  await app.start();
  return app;
}

afterEach(() => cleanup());

describe("Start-up", () => {
  it("shows Today from one start-up call, then reports the paint", async () => {
    const fake = fakeBackend({ listTasks: () => Promise.resolve([summary({ title: "Mai hívás" })]) });
    render(App, { props: { backend: fake.backend } });
    expect((await screen.findByTestId("task-row")).textContent).toContain("Mai hívás");
    await waitFor(() => expect(fake.calls.some((c) => c.name === "markPainted")).toBe(true));
    // No bootstrap, sync state or list call of its own before the first paint.
    expect(fake.calls.map((c) => c.name)).toEqual(["startup", "markPainted"]);
    expect(fake.calls[0].args[0]).toEqual({ kind: "today" });
  });
});

describe("TaskList", () => {
  beforeEach(() => {
    i18n.language = "hu";
  });

  it("shows overdue tasks in their own section first, and reloads on a change event", async () => {
    let tasks = [
      summary({ title: "Lejárt számla", overdue: true, due: { day: "2026-03-01" } }),
      summary({ title: "Mai hívás" }),
    ];
    const fake = fakeBackend({ listTasks: () => Promise.resolve(tasks) });
    const app = await appWith(fake.backend);
    render(TaskList, {
      props: { view: { kind: "today" }, emptyText: "üres", sections: true },
      context: new Map([[APP_CONTEXT, app]]),
    });
    const overdue = await screen.findByRole("list", { name: "Lejárt" });
    expect(overdue.textContent).toContain("Lejárt számla");
    expect(screen.getByRole("list", { name: "Mai" }).textContent).toContain("Mai hívás");

    tasks = [];
    fake.emit({ entity: "task", id: null, source: "sync" });
    expect(await screen.findByTestId("empty")).toHaveProperty("textContent", "üres");
    // The first list came with the start-up data; the change event asked for it again.
    expect(fake.calls.filter((c) => c.name === "listTasks").length).toBe(1);
  });

  it("completing asks for the outcome and shows the core's refusal in the user's language", async () => {
    const task = summary({ title: "Ajánlat küldése" });
    const fake = fakeBackend({
      listTasks: () => Promise.resolve([task]),
      setTaskStatus: (_id, change) =>
        (change as { outcome: string }).outcome.trim()
          ? Promise.resolve({} as never)
          : Promise.reject(
              new CommandError({ code: "outcome_required", message: "completing a task needs its outcome" }),
            ),
    });
    const app = await appWith(fake.backend);
    render(TaskList, {
      props: { view: { kind: "today" }, emptyText: "" },
      context: new Map([[APP_CONTEXT, app]]),
    });
    await fireEvent.click(await screen.findByTestId("done"));
    await fireEvent.click(await screen.findByTestId("complete-submit"));
    expect((await screen.findByRole("alert")).textContent).toBe("A lezáráshoz írd le az eredményt.");
    await fireEvent.input(screen.getByTestId("outcome"), { target: { value: "Elküldve." } });
    await fireEvent.click(screen.getByTestId("complete-submit"));
    await waitFor(() => expect(fake.calls.filter((c) => c.name === "setTaskStatus").length).toBe(2));
    expect(fake.calls.at(-1)?.args).toEqual([
      task.id,
      { status: "done", outcome: "Elküldve.", reason: null },
    ]);
  });
  it("reschedules from a row through the core, which knows the holidays", async () => {
    const task = summary({ title: "Visszahívás", overdue: true, due: { day: "2026-03-01" } });
    const fake = fakeBackend({ listTasks: () => Promise.resolve([task]) });
    const app = await appWith(fake.backend);
    render(TaskList, {
      props: { view: { kind: "today" }, emptyText: "" },
      context: new Map([[APP_CONTEXT, app]]),
    });
    await fireEvent.click(await screen.findByRole("button", { name: "Átütemezés: Visszahívás" }));
    await fireEvent.click(screen.getByRole("button", { name: "Következő munkanap" }));
    await waitFor(() =>
      expect(fake.reminders.rescheduled).toEqual([{ id: task.id, to: { kind: "next_working_day" } }]),
    );
    expect(fake.calls.some((c) => c.name === "updateTask")).toBe(false);
  });
});

describe("QuickAdd", () => {
  it("refuses an empty title without calling the core, then creates a task for me by default", async () => {
    const fake = fakeBackend({
      createTask: (input) => Promise.resolve({ id: "t1", ...(input as object) } as never),
    });
    const app = await appWith(fake.backend);
    i18n.language = "en";
    render(QuickAdd, { props: { open: true }, context: new Map([[APP_CONTEXT, app]]) });
    await fireEvent.click(await screen.findByTestId("qa-save"));
    expect((await screen.findByRole("alert")).textContent).toBe("A task needs a title.");
    expect(fake.calls.some((c) => c.name === "createTask")).toBe(false);

    await fireEvent.input(screen.getByTestId("qa-title"), { target: { value: "Visszahívás" } });
    await fireEvent.click(screen.getByTestId("qa-save"));
    await waitFor(() => expect(fake.calls.some((c) => c.name === "createTask")).toBe(true));
    const input = fake.calls.find((c) => c.name === "createTask")?.args[0] as {
      title: string;
      responsible_id: string;
      due: unknown;
    };
    expect(input.title).toBe("Visszahívás");
    expect(input.responsible_id).toBe(ME);
    expect(input.due).toEqual({ day: i18n.today() });
    expect(app.route).toEqual({ name: "task", id: "t1" });
  });
});
