import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { i18n } from "../lib/i18n/index.svelte";
import { APP_CONTEXT, AppState } from "../lib/state/app.svelte";
import SettingsView from "../components/views/SettingsView.svelte";
import { GABOR, ME, fakeBackend } from "./fake-backend";
import { defaultNotifySettings } from "./fake-reminders";

async function openTab(name: string) {
  const fake = fakeBackend();
  const app = new AppState(fake.backend);
  await app.start();
  render(SettingsView, { context: new Map([[APP_CONTEXT, app]]) });
  await fireEvent.click(screen.getByRole("tab", { name }));
  return { fake, app };
}

const set = (testId: string, value: string, index = 0) =>
  fireEvent.input(screen.getAllByTestId(testId)[index], { target: { value } });
const change = (testId: string, value: string) =>
  fireEvent.change(screen.getByTestId(testId), { target: { value } });

beforeEach(() => {
  i18n.language = "hu";
  i18n.timeZone = "Europe/Budapest";
});
afterEach(() => cleanup());

describe("Settings → Távollétek", () => {
  it("saves an absence with a deputy, then hands the open tasks over and says how many", async () => {
    const { fake, app } = await openTab("Távollétek");
    fake.reminders.openTasks[GABOR] = 4;
    await change("absence-colleague", GABOR);
    expect(screen.getByText("Nincs rögzített távollét.")).toBeTruthy();
    expect((screen.getByTestId("absence-hand-over") as HTMLButtonElement).disabled).toBe(true);

    await fireEvent.click(screen.getByTestId("absence-add"));
    await set("absence-from", "2026-03-16");
    await set("absence-to", "2026-03-13");
    await set("absence-note", "Szabadság");
    await fireEvent.click(screen.getByTestId("absence-save"));
    expect((await screen.findByRole("alert")).textContent).toBe(
      "A távollét vége nem lehet korábbi a kezdeténél.",
    );
    expect(fake.calls.some((c) => c.name === "setAvailability")).toBe(false);

    await set("absence-to", "2026-03-20");
    await fireEvent.click(screen.getByTestId("absence-workday-fri"));
    await change("absence-deputy", ME);
    await fireEvent.click(screen.getByTestId("absence-save"));
    expect((await screen.findByTestId("absence-saved")).textContent).toBe("Mentve.");
    const expected = {
      work_days: ["mon", "tue", "wed", "thu"],
      work_start: "08:00:00",
      work_end: "16:30:00",
      absences: [{ from: "2026-03-16", to: "2026-03-20", note: "Szabadság" }],
      deputy_id: ME,
    };
    expect(fake.calls.find((c) => c.name === "setAvailability")?.args).toEqual([GABOR, expected]);
    expect(fake.reminders.colleagues.find((c) => c.id === GABOR)?.availability).toEqual(expected);
    await waitFor(() =>
      expect(app.boot?.colleagues.find((c) => c.id === GABOR)?.availability.deputy_id).toBe(ME),
    );

    await fireEvent.click(screen.getByTestId("absence-hand-over"));
    expect((await screen.findByTestId("absence-handed-over")).textContent).toBe("4 feladat átadva");
    expect(fake.calls.find((c) => c.name === "handOver")?.args).toEqual([GABOR, ME]);
    expect(fake.reminders.openTasks).toEqual({ [GABOR]: 0, [ME]: 4 });
  });
});

describe("Settings → Értesítések", () => {
  it("saves changed times and switches, with the desktop options", async () => {
    const { fake } = await openTab("Értesítések");
    await screen.findByTestId("notify-save");
    expect((screen.getByTestId("notify-digest-time") as HTMLInputElement).value).toBe("08:30");
    expect((screen.getByTestId("notify-review-time") as HTMLInputElement).value).toBe("16:30");

    await fireEvent.click(screen.getByTestId("notify-comments"));
    await fireEvent.click(screen.getByTestId("notify-morning_digest"));
    await set("notify-due-soon-minutes", "30");
    await change("notify-digest-time", "09:15");
    await change("notify-review-time", "17:00");
    await change("notify-quiet-from", "22:00");
    await fireEvent.click(screen.getByTestId("desktop-close-to-tray"));
    await fireEvent.click(screen.getByTestId("desktop-autostart"));

    // Quiet hours need both ends.
    await fireEvent.click(screen.getByTestId("notify-save"));
    expect((await screen.findByRole("alert")).textContent).toBe(
      "A csendes órákhoz adj meg kezdetet és attól eltérő véget is.",
    );
    expect(fake.calls.some((c) => c.name === "setNotifySettings")).toBe(false);

    await change("notify-quiet-to", "07:00");
    // The review closes the day: not before the digest.
    await change("notify-review-time", "09:00");
    await fireEvent.click(screen.getByTestId("notify-save"));
    expect((await screen.findByRole("alert")).textContent).toBe(
      "A napzárás a reggeli összesítő után legyen.",
    );
    expect(fake.calls.some((c) => c.name === "setNotifySettings")).toBe(false);

    await change("notify-review-time", "17:00");
    await fireEvent.click(screen.getByTestId("notify-save"));
    expect((await screen.findByTestId("notify-saved")).textContent).toBe("Mentve.");
    expect(fake.calls.find((c) => c.name === "setNotifySettings")?.args).toEqual([
      {
        ...defaultNotifySettings(),
        comments: false,
        morning_digest: false,
        due_soon_minutes: 30,
        digest_time: "09:15:00",
        review_time: "17:00:00",
        quiet_from: "22:00:00",
        quiet_to: "07:00:00",
      },
    ]);
    expect(fake.calls.find((c) => c.name === "setDesktopOptions")?.args).toEqual([
      { autostart: true, start_minimized: false, close_to_tray: false },
    ]);
    expect(fake.reminders.desktop.close_to_tray).toBe(false);
  });

  it("pauses for an hour and resumes", async () => {
    const { fake } = await openTab("Értesítések");
    await fireEvent.click(await screen.findByTestId("notify-pause"));
    const paused = await screen.findByTestId("notify-paused");
    expect(fake.calls.find((c) => c.name === "pauseNotifications")?.args).toEqual([60]);
    const until = fake.reminders.notify.paused_until ?? "";
    expect(paused.textContent).toBe(`Az értesítések szünetelnek eddig: ${i18n.time(until)}`);

    await fireEvent.click(screen.getByTestId("notify-resume"));
    expect(await screen.findByTestId("notify-pause")).toBeTruthy();
    expect(fake.reminders.notify.paused_until).toBeNull();
  });
});

describe("Settings → Munkanapok", () => {
  it("lists the year's public holidays and saves a company day off", async () => {
    const { fake } = await openTab("Munkanapok");
    const year = Number(i18n.today().slice(0, 4));
    await waitFor(() => expect(screen.getAllByTestId("calendar-holiday").length).toBe(12));
    expect(screen.getByTestId("calendar-holidays").textContent).toContain("Nagypéntek");
    expect(screen.getByTestId("calendar-holidays").textContent).toContain("Szenteste");

    await set("calendar-new-date", `${year}-12-31`);
    await change("calendar-new-kind", "false");
    await fireEvent.click(screen.getByTestId("calendar-add"));
    await fireEvent.click(screen.getByTestId("calendar-save"));
    expect(await screen.findByTestId("calendar-saved")).toBeTruthy();
    expect(fake.calls.find((c) => c.name === "setCalendarOverrides")?.args).toEqual([
      year,
      [{ date: `${year}-12-31`, working: false }],
    ]);
    expect(screen.getAllByTestId("calendar-override").length).toBe(1);
  });
});

describe("Settings → Értesítések → the tray menu", () => {
  it("shows what the tray menu holds, overdue marked, and a click opens the task", async () => {
    const fake = fakeBackend();
    fake.backend.trayModel = async () => ({
      count: 2,
      overdue: 1,
      tooltip: "Duly – 2 mai feladat (1 lejárt)",
      paused: false,
      items: [
        { task_id: "t-old", label: "Számla · Kovács Kft (lejárt)", overdue: true },
        { task_id: "t-new", label: "Visszahívás", overdue: false },
      ],
      quick_add: "Új feladat gyorsan…",
      open: "Duly megnyitása",
      pause: "Értesítések szüneteltetése 1 órára",
      quit: "Kilépés",
      empty: "Nincs mai feladat",
    });
    const app = new AppState(fake.backend);
    await app.start();
    render(SettingsView, { context: new Map([[APP_CONTEXT, app]]) });
    await fireEvent.click(screen.getByRole("tab", { name: "Értesítések" }));
    const items = await screen.findAllByTestId("tray-item");
    expect(items.map((i) => i.textContent?.trim())).toEqual(["Számla · Kovács Kft (lejárt)", "Visszahívás"]);
    expect(items[0].classList.contains("overdue")).toBe(true);
    expect(screen.getByTestId("tray-tooltip").textContent).toBe("Duly – 2 mai feladat (1 lejárt)");
    await fireEvent.click(items[1]);
    expect(app.route).toEqual({ name: "task", id: "t-new" });
  });
});
