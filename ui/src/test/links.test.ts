import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Comment } from "../lib/api/bindings/Comment";
import { CommandError } from "../lib/api/backend";
import { i18n } from "../lib/i18n/index.svelte";
import { splitAddress } from "../lib/links";
import { APP_CONTEXT, AppState } from "../lib/state/app.svelte";
import CommentThread from "../components/tasks/CommentThread.svelte";
import { GABOR, fakeBackend } from "./fake-backend";

const PHISHING = "https://evil.example/duly-login?next=%2Ftasks";

function comment(body: string): Comment {
  return {
    id: crypto.randomUUID(),
    task_id: "t1",
    customer_id: null,
    author_id: GABOR,
    body,
    keyword_ids: [],
    task_status_change: null,
    customer_status_change: null,
    attachments: [],
    system: false,
    created_at: "2026-03-10T08:00:00.000000Z",
  };
}

async function thread(fake: ReturnType<typeof fakeBackend>, body: string) {
  const app = new AppState(fake.backend);
  await app.start();
  render(CommentThread, {
    props: { taskId: "t1", comments: [comment(body)], hasCustomer: false },
    context: new Map([[APP_CONTEXT, app]]),
  });
}

const opened = (fake: ReturnType<typeof fakeBackend>) => fake.calls.filter((c) => c.name === "openExternal");

beforeEach(() => {
  i18n.language = "hu";
});
afterEach(() => cleanup());

describe("Links in comments", () => {
  it("ask first, showing the full address, and open in the browser only when confirmed", async () => {
    const fake = fakeBackend();
    await thread(fake, `[Lejárt a munkamenet – jelentkezz be](${PHISHING})`);
    const link = screen.getByRole("link", { name: "Lejárt a munkamenet – jelentkezz be" });

    expect(await fireEvent.click(link)).toBe(false); // the default (navigation) was prevented
    const dialog = await screen.findByRole("dialog");
    expect(screen.getByTestId("link-address").textContent).toBe(PHISHING);
    expect(screen.getByTestId("link-address").querySelector("strong")?.textContent).toBe("evil.example");
    expect(dialog.textContent).not.toContain("jelentkezz be");
    const cancel = screen.getByRole("button", { name: "Mégse" });
    await waitFor(() => expect(document.activeElement).toBe(cancel));
    expect(screen.getByRole("button", { name: "Megnyitás a böngészőben" })).toBeTruthy();

    await fireEvent.click(cancel);
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(opened(fake)).toEqual([]);

    await fireEvent.click(link);
    await fireEvent.click(await screen.findByRole("button", { name: "Megnyitás a böngészőben" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(opened(fake)).toEqual([{ name: "openExternal", args: [PHISHING] }]);
  });

  it("closes on Escape without opening, in English too", async () => {
    const fake = fakeBackend();
    await thread(fake, "Write to <anna@example.hu> or see https://example.hu/offer");
    i18n.language = "en"; // after the start, which takes the language of the bootstrap
    await fireEvent.click(screen.getByRole("link", { name: "https://example.hu/offer" }));
    await screen.findByRole("dialog");
    expect(screen.getByRole("button", { name: "Open in browser" })).toBeTruthy();
    const cancel = screen.getByRole("button", { name: "Cancel" });
    await waitFor(() => expect(document.activeElement).toBe(cancel));
    await fireEvent.keyDown(cancel, { key: "Escape" });
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(opened(fake)).toEqual([]);
  });

  it("shows the shell's refusal and stays open", async () => {
    const fake = fakeBackend({
      openExternal: () =>
        Promise.reject(new CommandError({ code: "invalid_input", message: "refused", field: "url" })),
    });
    await thread(fake, "[ajánlat](https://example.hu/offer)");
    await fireEvent.click(screen.getByRole("link", { name: "ajánlat" }));
    await fireEvent.click(await screen.findByRole("button", { name: "Megnyitás a böngészőben" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Hiányzó vagy hibás adat: hivatkozás.");
    expect(screen.getByRole("dialog")).toBeTruthy();
  });
});

describe("splitAddress", () => {
  it("emphasises the real host, not a user name posing as one, and a mail recipient", () => {
    expect(splitAddress("https://duly.example.hu@evil.example:8443/login")).toEqual({
      before: "https://duly.example.hu@",
      host: "evil.example:8443",
      after: "/login",
    });
    expect(splitAddress("mailto:anna@example.hu?subject=Aj%C3%A1nlat")).toEqual({
      before: "mailto:",
      host: "anna@example.hu",
      after: "?subject=Aj%C3%A1nlat",
    });
  });
});
