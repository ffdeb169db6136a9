import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Comment } from "../lib/api/bindings/Comment";
import type { CustomerPage as CustomerPageData } from "../lib/api/bindings/CustomerPage";
import type { TaskDetail } from "../lib/api/bindings/TaskDetail";
import { i18n } from "../lib/i18n/index.svelte";
import { APP_CONTEXT, AppState } from "../lib/state/app.svelte";
import CustomerPage from "../components/views/CustomerPage.svelte";
import ServerView from "../components/views/ServerView.svelte";
import SettingsView from "../components/views/SettingsView.svelte";
import TaskPage from "../components/views/TaskPage.svelte";
import { GABOR, ME, fakeBackend } from "./fake-backend";
import { fakeServer, serverUser, syncViewOf } from "./fake-server";

const ANNA = serverUser({ login: "anna", name: "Kiss Anna", role: "admin", colleague_id: ME });
const BELA = serverUser({ login: "bela", name: "Nagy Béla", role: "guest" });

async function start(fake: ReturnType<typeof fakeBackend>) {
  const app = new AppState(fake.backend);
  await app.start();
  return { app, context: new Map([[APP_CONTEXT, app]]) };
}

async function logInThroughForm(password: string) {
  await fireEvent.input(await screen.findByTestId("server-address"), {
    target: { value: "https://duly.example.hu" },
  });
  await fireEvent.input(screen.getByTestId("server-user"), { target: { value: "anna" } });
  await fireEvent.input(screen.getByTestId("server-password"), { target: { value: password } });
  await fireEvent.click(screen.getByTestId("server-login-submit"));
}

beforeEach(() => {
  i18n.language = "hu";
  i18n.timeZone = "Europe/Budapest";
});
afterEach(() => cleanup());

describe("Settings → Server", () => {
  it("is a tab of the settings, mounted only when chosen", async () => {
    const fake = fakeBackend();
    const { context } = await start(fake);
    render(SettingsView, { context });
    expect(screen.queryByTestId("view-server")).toBeNull();
    await fireEvent.click(screen.getByRole("tab", { name: "Szerver" }));
    expect(await screen.findByTestId("view-server")).toBeTruthy();
    expect(screen.getByTestId("server-login")).toBeTruthy();
  });

  it("logs in through the backend, shows the synced time in the user's zone and warns when there is no keychain", async () => {
    const fake = fakeBackend(
      {},
      fakeServer({
        keychain: false,
        accounts: [
          { user: ANNA, password: "titkos-jelszo" },
          { user: BELA, password: "bela-jelszava" },
        ],
      }),
    );
    const { app, context } = await start(fake);
    render(ServerView, { context });
    expect((await screen.findByTestId("sync-phase")).textContent).toBe("Nincs bejelentkezve");
    expect(screen.queryByTestId("server-session")).toBeNull();

    await logInThroughForm("titkos-jelszo");
    await waitFor(() => expect(screen.getByTestId("sync-phase").dataset.phase).toBe("synced"));
    expect(fake.calls.find((c) => c.name === "logIn")?.args).toEqual([
      "https://duly.example.hu",
      "anna",
      "titkos-jelszo",
    ]);
    // 09:00 UTC is 10:00 in Budapest in March.
    expect(screen.getByTestId("sync-phase").textContent).toMatch(/^Szinkronizálva: .*10:00$/);
    expect(screen.getByTestId("server-session").textContent).toContain(
      "Bejelentkezve: Kiss Anna (anna), Adminisztrátor",
    );
    expect(screen.queryByTestId("server-login")).toBeNull();
    expect(screen.getByTestId("keychain-warning").textContent).toContain("csak a memória őrzi");
    expect(app.sync.loggedIn).toBe(true);
    // An admin sees the server's users.
    expect(await screen.findByText("bela")).toBeTruthy();

    // The shell's event moves the page: a keychain after all, then offline.
    fake.server.keychain = true;
    fake.emitSync(syncViewOf(fake.server));
    await waitFor(() => expect(screen.queryByTestId("keychain-warning")).toBeNull());
    fake.emitSync({
      ...syncViewOf(fake.server),
      state: { ...syncViewOf(fake.server).state, phase: "offline", pending_ops: 3 },
    });
    await waitFor(() =>
      expect(screen.getByTestId("sync-phase").textContent).toBe("Offline: a szerver nem érhető el"),
    );
    expect(screen.getByTestId("sync-pending").textContent).toBe("3");

    // A new device loading its first snapshot says how far it has come, in the locale's numbers.
    fake.emitSync({
      ...syncViewOf(fake.server),
      state: { ...syncViewOf(fake.server).state, phase: "syncing", progress: { done: 43000, total: 600000 } },
    });
    await waitFor(() =>
      expect(screen.getByTestId("sync-phase").textContent?.replace(/\s/g, " ")).toBe(
        "Szinkronizálás: 43 000 / 600 000",
      ),
    );
  });

  it("says how many attachments did not reach the server, in Hungarian and in English", async () => {
    const fake = fakeBackend(
      {},
      fakeServer({ url: "https://duly.example.hu", phase: "synced", user: ANNA, refusedBlobs: 2 }),
    );
    const { context } = await start(fake);
    render(ServerView, { context });
    expect((await screen.findByTestId("sync-refused-blobs")).textContent?.trim()).toBe(
      "2 csatolmány nem jutott fel a szerverre (sérült vagy túl nagy fájl). A fájl újbóli csatolásával újra megpróbálható.",
    );
    i18n.language = "en";
    await waitFor(() =>
      expect(screen.getByTestId("sync-refused-blobs").textContent?.trim()).toBe(
        "2 attachments did not reach the server (damaged or too large file). Adding the file again tries it once more.",
      ),
    );
    fake.server.refusedBlobs = 0;
    fake.emitSync(syncViewOf(fake.server));
    await waitFor(() => expect(screen.queryByTestId("sync-refused-blobs")).toBeNull());
  });

  it("a refused login shows why in the user's language and stays logged out", async () => {
    const fake = fakeBackend({}, fakeServer({ accounts: [{ user: ANNA, password: "titkos-jelszo" }] }));
    const { app, context } = await start(fake);
    render(ServerView, { context });
    await logInThroughForm("rossz-jelszo");
    expect((await screen.findByRole("alert")).textContent).toBe("Hibás felhasználónév vagy jelszó.");
    expect(screen.queryByTestId("server-session")).toBeNull();
    expect(screen.getByTestId("server-login")).toBeTruthy();
    expect(screen.getByTestId("sync-phase").dataset.phase).toBe("logged_out");
    expect(screen.queryByTestId("server-users")).toBeNull();
    expect(app.sync.loggedIn).toBe(false);

    i18n.language = "en";
    await fireEvent.click(screen.getByTestId("server-login-submit"));
    await waitFor(() => expect(screen.getByRole("alert").textContent).toBe("Wrong login name or password."));
    expect(fake.calls.filter((c) => c.name === "logIn").length).toBe(2);
  });

  it("an admin adds users (password of at least 8 characters) and disables them", async () => {
    const fake = fakeBackend(
      {},
      fakeServer({
        phase: "synced",
        url: "https://duly.example.hu",
        user: ANNA,
        accounts: [{ user: ANNA, password: "titkos-jelszo" }],
      }),
    );
    const { context } = await start(fake);
    render(ServerView, { context });
    const form = await screen.findByTestId("server-user-add");
    await fireEvent.input(within(form).getByLabelText("Felhasználónév"), { target: { value: "cecil" } });
    await fireEvent.input(within(form).getByLabelText("Név"), { target: { value: "Szabó Cecília" } });
    await fireEvent.input(within(form).getByLabelText("Jelszó"), { target: { value: "rövid" } });
    await fireEvent.click(within(form).getByRole("button"));
    expect((await screen.findByRole("alert")).textContent).toBe("A jelszó legalább 8 karakter legyen.");
    expect(fake.calls.some((c) => c.name === "addServerUser")).toBe(false);

    await fireEvent.input(within(form).getByLabelText("Jelszó"), { target: { value: "hosszabb-jelszo" } });
    await fireEvent.change(within(form).getByLabelText("Szerepkör"), { target: { value: "guest" } });
    await fireEvent.click(within(form).getByRole("button"));
    await waitFor(() =>
      expect(screen.getAllByTestId("server-user").map((row) => row.dataset.login)).toEqual(["anna", "cecil"]),
    );
    expect(fake.calls.find((c) => c.name === "addServerUser")?.args).toEqual([
      { login: "cecil", name: "Szabó Cecília", password: "hosszabb-jelszo", role: "guest" },
    ]);

    await fireEvent.click(screen.getByRole("button", { name: "Letiltás: cecil" }));
    await waitFor(() => expect(screen.getByRole("button", { name: "Engedélyezés: cecil" })).toBeTruthy());
    expect(screen.getByRole("button", { name: "Letiltás: anna" }).hasAttribute("disabled")).toBe(true);
  });

  it("lists rejected operations and shows where the export went", async () => {
    const server = fakeServer({
      rejected: [
        {
          client_seq: 7,
          operation: {
            op_id: { client_id: "c", client_seq: 7 },
            scope: { kind: "team" },
            entity: "task",
            entity_id: "t1",
            kind: "set",
            field: "due",
            value: null,
            hlc: "1",
          },
          code: "forbidden_scope",
          reason: "the customer is no longer shared with you",
          rejected_at: "2026-03-10T09:00:00.000000Z",
        },
      ],
    });
    const fake = fakeBackend({}, server);
    const { context } = await start(fake);
    render(ServerView, { context });
    const row = await screen.findByTestId("rejected-op");
    expect(row.textContent).toContain("Feladat");
    expect(row.textContent).toContain("Módosítás");
    expect(row.textContent).toContain("határidő");
    expect(row.textContent).toContain("forbidden_scope");
    await fireEvent.click(screen.getByTestId("rejected-export"));
    expect((await screen.findByTestId("rejected-exported")).textContent).toBe(
      `Elmentve ide: ${server.exportPath}`,
    );
  });
});

function comment(patch: Partial<Comment>): Comment {
  return {
    id: crypto.randomUUID(),
    task_id: "t1",
    customer_id: null,
    author_id: ME,
    body: "Megjegyzés",
    keyword_ids: [],
    task_status_change: null,
    customer_status_change: null,
    attachments: [],
    system: false,
    created_at: "2026-03-10T08:00:00.000000Z",
    ...patch,
  };
}

function detail(comments: Comment[]): TaskDetail {
  return {
    task: {
      id: "t1",
      creator_id: ME,
      status: "open",
      outcome: null,
      completed_by: null,
      completed_at: null,
      cancel_reason: null,
      created_at: "2026-03-01T08:00:00.000000Z",
      updated_at: "2026-03-10T08:00:00.000000Z",
      title: "Ajánlat v2",
      description: "",
      customer_id: null,
      project_id: null,
      responsible_id: ME,
      watchers: [],
      priority: "normal",
      start_date: null,
      due: null,
      reminder_at: null,
      checklist: [],
      attachments: [],
      recurrence: null,
    },
    customer_name: null,
    comments,
    history: [],
  };
}

describe("Task thread", () => {
  it("shows lost concurrent edits as system entries in time order, with colleague names, and reloads on change", async () => {
    const server = fakeServer({
      conflicts: {
        t1: [
          {
            entity_id: "t1",
            field: "title",
            lost_value: "Ajánlat v1",
            lost_actor: GABOR,
            kept_value: "Ajánlat v2",
            kept_actor: ME,
            recorded_at: "2026-03-10T09:00:00.000000Z",
          },
        ],
      },
    });
    const comments = [
      comment({ body: "Korábbi", created_at: "2026-03-10T08:00:00.000000Z" }),
      comment({ body: "Későbbi", created_at: "2026-03-10T10:00:00.000000Z" }),
    ];
    const fake = fakeBackend({ taskDetail: () => Promise.resolve(detail(comments)) }, server);
    const { context } = await start(fake);
    render(TaskPage, { props: { id: "t1" }, context });

    const entry = await screen.findByTestId("conflict");
    expect(entry.textContent).toContain(
      "«Tóth Gábor» módosítása a(z) «cím» mezőn nem maradt meg: «Ajánlat v1» (megmaradt: «Ajánlat v2»)",
    );
    expect(within(entry).getByText("Rendszer")).toBeTruthy();
    expect(entry.classList.contains("system")).toBe(true);
    const thread = screen.getByRole("list", { name: "Megjegyzések" });
    expect([...thread.children].map((li) => li.getAttribute("data-testid"))).toEqual([
      "comment",
      "conflict",
      "comment",
    ]);
    expect(fake.calls.find((c) => c.name === "taskConflicts")?.args).toEqual(["t1"]);

    // A later sync loses another edit: the change event brings it in, names resolved.
    server.conflicts.t1 = [
      {
        entity_id: "t1",
        field: "responsible_id",
        lost_value: GABOR,
        lost_actor: ME,
        kept_value: ME,
        kept_actor: GABOR,
        recorded_at: "2026-03-10T11:00:00.000000Z",
      },
      ...server.conflicts.t1,
    ];
    i18n.language = "en";
    fake.emit({ entity: "task", id: "t1", source: "sync" });
    await waitFor(() => expect(screen.getAllByTestId("conflict").length).toBe(2));
    expect(screen.getAllByTestId("conflict")[1].textContent).toContain(
      "Kiss Anna’s change to the “responsible” field did not stay: “Tóth Gábor” (kept: “Kiss Anna”)",
    );
  });
});

function customerPage(): CustomerPageData {
  return {
    customer: {
      id: "c1",
      created_by: ME,
      created_at: "2026-03-01T08:00:00.000000Z",
      name: "Kovács Kft",
      kind: "company",
      contacts: [],
      emails: [],
      phones: [],
      address: "",
      tax_number: "",
      website: "",
      notes: "",
      account_owner_id: ME,
      status_id: null,
    },
    status: null,
    projects: [],
    tasks: [],
    timeline: [],
  };
}

describe("Sync state", () => {
  it("keeps an event that overtook the log-in answer: a first sync that ended stays ended", async () => {
    const server = fakeServer({ accounts: [{ user: ANNA, password: "titkos-jelszo" }] });
    const fake = fakeBackend({}, server);
    const answer = fake.backend.logIn;
    fake.backend.logIn = async (url, login, password) => {
      // The answer is made while the first round runs; its end is emitted before the answer
      // reaches the window.
      const view = await answer(url, login, password);
      fake.emitSync(syncViewOf(server));
      return { ...view, state: { ...view.state, phase: "syncing", synced_at: null, pending_ops: 1 } };
    };
    const { app } = await start(fake);
    await app.sync.logIn("https://duly.example.hu", "anna", "titkos-jelszo");
    expect(app.sync.state?.phase).toBe("synced");
    expect(app.sync.state?.pending_ops).toBe(0);
  });
});

describe("Customer page sharing", () => {
  it("is a note when logged out; an admin shares with one customer id and revokes", async () => {
    const server = fakeServer({
      accounts: [
        { user: ANNA, password: "titkos-jelszo" },
        { user: BELA, password: "bela-jelszava" },
      ],
    });
    const fake = fakeBackend({ customerPage: () => Promise.resolve(customerPage()) }, server);
    const { app, context } = await start(fake);
    render(CustomerPage, { props: { id: "c1" }, context });
    expect((await screen.findByTestId("shares-note")).textContent).toBe(
      "A megosztások szerverre bejelentkezve látszanak.",
    );
    expect(fake.calls.some((c) => c.name === "customerShares")).toBe(false);

    await app.sync.logIn("https://duly.example.hu", "anna", "titkos-jelszo");
    expect(await screen.findByText("Senkivel sincs megosztva.")).toBeTruthy();
    await fireEvent.change(screen.getByTestId("share-pick"), { target: { value: BELA.id } });
    await fireEvent.click(screen.getByTestId("share-submit"));
    await waitFor(() =>
      expect(screen.getAllByTestId("shared-user").map((li) => li.textContent)).toEqual([
        expect.stringContaining("Nagy Béla"),
      ]),
    );
    expect(fake.calls.find((c) => c.name === "shareCustomers")?.args).toEqual([BELA.id, ["c1"], true]);

    await fireEvent.click(screen.getByRole("button", { name: "Visszavonás: Nagy Béla" }));
    await waitFor(() => expect(screen.queryByTestId("shared-user")).toBeNull());
    expect(server.shares.c1).toEqual([]);

    // The server is out of reach: the next reload says so instead of a list.
    server.phase = "offline";
    fake.emit({ entity: "customer", id: "c1", source: "window" });
    expect((await screen.findByTestId("shares-note")).textContent).toBe(
      "A megosztások most nem láthatók: A szerver nem érhető el. Ellenőrizd a hálózatot és a szerver címét.",
    );
    expect(screen.queryByTestId("share-pick")).toBeNull();

    // The session ends: the shell's event is enough, no call needed.
    server.phase = "session_ended";
    const before = fake.calls.length;
    fake.emitSync(syncViewOf(server));
    await waitFor(() =>
      expect(screen.getByTestId("shares-note").textContent).toBe(
        "A megosztások most nem láthatók: A munkamenet véget ért. Jelentkezz be újra.",
      ),
    );
    expect(fake.calls.slice(before).some((c) => c.name === "customerShares")).toBe(false);
  });
});
