// Issue 14 in the window: a guest is offered only what the server takes from a guest, a member
// no say over roles, and a refused change shows on its task with what the person wrote.
import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CustomerPage as CustomerPageData } from "../lib/api/bindings/CustomerPage";
import type { Operation } from "../lib/api/bindings/Operation";
import type { RejectedOp } from "../lib/api/bindings/RejectedOp";
import type { Role } from "../lib/api/bindings/Role";
import type { TaskDetail } from "../lib/api/bindings/TaskDetail";
import { i18n } from "../lib/i18n/index.svelte";
import { APP_CONTEXT, AppState } from "../lib/state/app.svelte";
import App from "../App.svelte";
import TaskList from "../components/tasks/TaskList.svelte";
import CustomerPage from "../components/views/CustomerPage.svelte";
import SettingsView from "../components/views/SettingsView.svelte";
import TaskPage from "../components/views/TaskPage.svelte";
import { GABOR, ME, fakeBackend, summary } from "./fake-backend";
import { fakeServer, serverUser } from "./fake-server";

const TASK = "00000000-0000-7000-8000-0000000000t1";
const CUSTOMER = "00000000-0000-7000-8000-0000000000c1";

/** A backend logged in to a server as a user of `role`. */
function loggedIn(
  role: Role,
  overrides: Parameters<typeof fakeBackend>[0] = {},
  rejected: RejectedOp[] = [],
) {
  const user = serverUser({ login: role, name: "Partner Péter", role, colleague_id: ME });
  const server = fakeServer({ phase: "synced", url: "https://duly.example.hu", user, rejected });
  return fakeBackend(
    {
      taskDetail: () => Promise.resolve(detail()),
      customerPage: () => Promise.resolve(customerPage()),
      listTasks: () => Promise.resolve([summary({ id: TASK, title: "Szerződés aláírása" })]),
      addComment: () => Promise.resolve({} as never),
      ...overrides,
    },
    server,
  );
}

async function start(fake: ReturnType<typeof fakeBackend>) {
  const app = new AppState(fake.backend);
  await app.start();
  return { app, context: new Map([[APP_CONTEXT, app]]) };
}

function detail(): TaskDetail {
  return {
    task: {
      id: TASK,
      creator_id: GABOR,
      status: "open",
      outcome: null,
      completed_by: null,
      completed_at: null,
      cancel_reason: null,
      created_at: "2026-03-01T08:00:00.000000Z",
      updated_at: "2026-03-10T08:00:00.000000Z",
      title: "Szerződés aláírása",
      description: "",
      customer_id: CUSTOMER,
      project_id: null,
      responsible_id: GABOR,
      watchers: [],
      priority: "normal",
      start_date: null,
      due: { day: "2026-03-12" },
      reminder_at: null,
      checklist: [{ text: "Aláírás", done: false }],
      attachments: [],
      recurrence: null,
    },
    customer_name: "Partner Zrt",
    comments: [],
    history: [],
  };
}

function customerPage(): CustomerPageData {
  return {
    customer: {
      id: CUSTOMER,
      created_by: GABOR,
      created_at: "2026-03-01T08:00:00.000000Z",
      name: "Partner Zrt",
      kind: "company",
      contacts: [],
      emails: [],
      phones: [],
      address: "",
      tax_number: "",
      website: "",
      notes: "",
      account_owner_id: GABOR,
      status_id: null,
    },
    status: null,
    projects: [],
    tasks: [summary({ id: TASK, title: "Szerződés aláírása", customer_id: CUSTOMER })],
    timeline: [],
  };
}

function refused(seq: number, patch: Partial<Operation>, code = "forbidden"): RejectedOp {
  return {
    client_seq: seq,
    operation: {
      op_id: { client_id: "c", client_seq: seq },
      scope: { kind: "customer", id: CUSTOMER },
      entity: "task",
      entity_id: TASK,
      kind: "set",
      field: "title",
      value: null,
      hlc: String(seq),
      ...patch,
    },
    code,
    reason: "a guest may only comment",
    rejected_at: "2026-03-10T09:00:00.000000Z",
  };
}

beforeEach(() => {
  i18n.language = "hu";
  i18n.timeZone = "Europe/Budapest";
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("A guest's window", () => {
  it("offers no status change, reassignment or field edit on a task, but comments", async () => {
    const fake = loggedIn("guest");
    const { app, context } = await start(fake);
    expect(app.abilities.edit_tasks).toBe(false);
    render(TaskPage, { props: { id: TASK }, context });
    await screen.findByTestId("task-page");
    expect(screen.queryByRole("group", { name: "Állapot" })).toBeNull();
    expect(screen.queryByTestId("task-complete")).toBeNull();
    expect(screen.queryByRole("button", { name: "Újranyitás" })).toBeNull();
    expect(screen.queryByTestId("task-save")).toBeNull();
    expect(screen.getByTestId("task-fields").hasAttribute("disabled")).toBe(true);
    // Moving the customer with a comment is an edit of it: not offered either.
    expect(screen.queryByTestId("comment-customer-status")).toBeNull();

    await fireEvent.input(screen.getByTestId("comment-body"), { target: { value: "Holnap aláírjuk." } });
    await fireEvent.click(screen.getByTestId("comment-send"));
    await waitFor(() => expect(fake.calls.some((c) => c.name === "addComment")).toBe(true));
    expect(fake.calls.find((c) => c.name === "addComment")?.args[0]).toMatchObject({
      body: "Holnap aláírjuk.",
      customer_status_change: null,
    });
    expect(fake.calls.some((c) => ["updateTask", "setTaskStatus"].includes(c.name))).toBe(false);
  });

  it("lists tasks without done, reschedule or reassign; a customer page without edit, new task or project", async () => {
    const fake = loggedIn("guest");
    const { context } = await start(fake);
    render(TaskList, { props: { view: { kind: "mine" }, emptyText: "" }, context });
    const row = await screen.findByTestId("task-row");
    expect(
      within(row)
        .queryAllByRole("button")
        .map((b) => b.textContent?.trim()),
    ).toEqual(["Szerződés aláírása"]);
    cleanup();

    render(CustomerPage, { props: { id: CUSTOMER }, context });
    await screen.findByTestId("customer-page");
    expect(screen.queryByTestId("customer-edit")).toBeNull();
    expect(screen.queryByTestId("customer-new-task")).toBeNull();
    expect(screen.queryByTestId("project-add")).toBeNull();
    expect(screen.queryByRole("combobox", { name: "Ügyfél státusz beállítása" })).toBeNull();
    expect(screen.getByRole("textbox", { name: "Megjegyzés" })).toBeTruthy();
  });

  it("has no «New task» in the menu and ignores the tray's and the shortcut's", async () => {
    const fake = loggedIn("guest");
    render(App, { props: { backend: fake.backend } });
    await screen.findByTestId("nav-today");
    expect(screen.queryByTestId("quick-add-open")).toBeNull();
    fake.emitQuickAdd();
    await fireEvent.keyDown(window, { key: "n", ctrlKey: true });
    expect(screen.queryByTestId("quick-add")).toBeNull();
  });

  it("shows the settings without the company's lists, calendar, absences or roles", async () => {
    const { context } = await start(loggedIn("guest"));
    render(SettingsView, { context });
    expect(await screen.findByTestId("language")).toBeTruthy();
    expect(screen.queryByRole("tab", { name: "Munkanapok" })).toBeNull();
    expect(screen.queryByRole("tab", { name: "Távollétek" })).toBeNull();
    expect(screen.queryByText("Ügyfél státuszok")).toBeNull();
    expect(screen.queryByRole("combobox", { name: "Szerepkör: Tóth Gábor" })).toBeNull();
    expect(screen.queryByRole("button", { name: "Új kolléga" })).toBeNull();
  });
});

describe("A member's settings", () => {
  it("show colleagues' roles and active flags as text; a manager may change them", async () => {
    const { context } = await start(loggedIn("member"));
    render(SettingsView, { context });
    await screen.findByTestId("language");
    expect(screen.getByText("Ügyfél státuszok")).toBeTruthy();
    expect(screen.queryByRole("combobox", { name: "Szerepkör: Tóth Gábor" })).toBeNull();
    expect(screen.queryByRole("checkbox", { name: "Aktív" })).toBeNull();
    expect(screen.getAllByTestId("colleague-role").map((td) => td.textContent)).toEqual([
      "Adminisztrátor",
      "Munkatárs",
    ]);
    cleanup();

    const { context: managers } = await start(loggedIn("manager"));
    render(SettingsView, { context: managers });
    expect(await screen.findByRole("combobox", { name: "Szerepkör: Tóth Gábor" })).toBeTruthy();
  });
});

describe("A refused change on its page", () => {
  it("says what was refused and why in the person's words, with the text, Copy and Dismiss", async () => {
    const writeText = vi.fn(() => Promise.resolve());
    vi.stubGlobal("navigator", { ...navigator, clipboard: { writeText } });
    const rejected = [
      refused(3, { field: "title", value: "Szerződés aláírva, kérem a számlát" }),
      refused(
        4,
        {
          entity: "comment",
          entity_id: "00000000-0000-7000-8000-0000000000e1",
          kind: "create",
          field: null,
          value: { task_id: TASK, body: "Részletek a számlához" },
        },
        "forbidden_scope",
      ),
      // Another task's refusal is not this page's.
      refused(5, { entity_id: "00000000-0000-7000-8000-0000000000t2", value: "Másik" }),
    ];
    const fake = loggedIn("guest", {}, rejected);
    const { context } = await start(fake);
    render(TaskPage, { props: { id: TASK }, context });

    const notices = await screen.findAllByTestId("refused-notice");
    expect(notices.length).toBe(2);
    expect(fake.calls.find((c) => c.name === "rejectedAbout")?.args).toEqual([TASK]);
    const [title, comment] = notices;
    expect(within(title).getByTestId("refused-what").textContent).toBe(
      "A szerver nem fogadta el: a cím módosítása",
    );
    expect(within(title).getByTestId("refused-why").textContent?.trim()).toBe(
      "Ok: ezt a módosítást a szerepköröd nem engedi.",
    );
    // The server's English reason is no more than a hint.
    expect(title.textContent).not.toContain("a guest may only comment");
    expect(within(title).getByTestId("refused-text").textContent).toBe("Szerződés aláírva, kérem a számlát");
    expect(within(comment).getByTestId("refused-what").textContent).toBe(
      "A szerver nem fogadta el: új megjegyzés",
    );
    expect(within(comment).getByTestId("refused-why").textContent).toContain("nincs megosztva veled");
    expect(within(comment).getByTestId("refused-text").textContent).toBe("Részletek a számlához");

    await fireEvent.click(within(comment).getByTestId("refused-copy"));
    await waitFor(() =>
      expect(within(comment).getByTestId("refused-copy").textContent?.trim()).toBe("Másolva"),
    );
    expect(writeText).toHaveBeenCalledWith("Részletek a számlához");
    expect(within(title).getByTestId("refused-copy").textContent?.trim()).toBe("Másolás");

    await fireEvent.click(within(title).getByTestId("refused-dismiss"));
    await waitFor(() => expect(screen.getAllByTestId("refused-notice").length).toBe(1));
    expect(fake.calls.find((c) => c.name === "dismissRejected")?.args).toEqual([3]);
    expect(fake.server.rejected.map((r) => r.client_seq)).toEqual([4, 5]);

    // In English, from the same codes.
    i18n.language = "en";
    await waitFor(() =>
      expect(screen.getByTestId("refused-what").textContent).toBe("The server did not accept: a new comment"),
    );
    expect(screen.getByTestId("refused-why").textContent).toContain("not (or no longer) shared with you");
    expect(screen.getByTestId("refused-dismiss").textContent).toBe("Dismiss");
  });

  it("a refusal that a sync brings shows without leaving the page; a failed copy says so", async () => {
    vi.stubGlobal("navigator", {
      ...navigator,
      clipboard: { writeText: () => Promise.reject(new Error("denied")) },
    });
    const fake = loggedIn("guest");
    const { context } = await start(fake);
    render(TaskPage, { props: { id: TASK }, context });
    await screen.findByTestId("task-page");
    expect(screen.queryByTestId("refused-notice")).toBeNull();

    fake.server.rejected.push(refused(9, { field: "status", value: "done" }, "invalid_operation"));
    fake.emit({ entity: "task", id: TASK, source: "sync" });
    const notice = await screen.findByTestId("refused-notice");
    expect(within(notice).getByTestId("refused-what").textContent).toBe(
      "A szerver nem fogadta el: az állapot módosítása",
    );
    expect(within(notice).getByTestId("refused-text").textContent).toBe("Kész");
    await fireEvent.click(within(notice).getByTestId("refused-copy"));
    expect((await screen.findByRole("alert")).textContent).toContain("A vágólapra másolás nem sikerült");
  });
});
