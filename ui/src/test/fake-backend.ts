// An in-memory Backend for component tests: records calls, answers from fixtures.
import type { Backend } from "../lib/api/backend";
import { CommandError } from "../lib/api/backend";
import type { Bootstrap } from "../lib/api/bindings/Bootstrap";
import type { ChangeEvent } from "../lib/api/bindings/ChangeEvent";
import type { Colleague } from "../lib/api/bindings/Colleague";
import type { NoticeTarget } from "../lib/api/bindings/NoticeTarget";
import type { SyncView } from "../lib/api/bindings/SyncView";
import type { TaskSummary } from "../lib/api/bindings/TaskSummary";
import { type FakeReminders, defaultAvailability, fakeReminders, reminderCalls } from "./fake-reminders";
import { type FakeServer, fakeServer, serverCalls } from "./fake-server";

export const ME = "00000000-0000-7000-8000-00000000aaaa";
export const GABOR = "00000000-0000-7000-8000-00000000bbbb";

export function colleagues(): Colleague[] {
  const at = "2026-03-01T08:00:00.000000Z";
  return [
    {
      id: ME,
      name: "Kiss Anna",
      email: "",
      role: "admin",
      active: true,
      created_at: at,
      availability: defaultAvailability(),
    },
    {
      id: GABOR,
      name: "Tóth Gábor",
      email: "",
      role: "member",
      active: true,
      created_at: at,
      availability: defaultAvailability(),
    },
  ];
}

export function bootstrap(people: Colleague[] = colleagues()): Bootstrap {
  return {
    profile: { ...people[0], email: "anna@example.hu" },
    preferences: { language: "hu", time_zone: "Europe/Budapest", theme: "system" },
    colleagues: people,
    customer_statuses: [],
    keywords: [{ id: "k1", name: "Ajánlat elküldve" }],
    task_status_labels: {
      open: "Nyitott",
      in_progress: "Folyamatban",
      waiting: "Várakozik",
      done: "Kész",
      cancelled: "Visszavonva",
    },
  };
}

export function summary(patch: Partial<TaskSummary>): TaskSummary {
  return {
    id: crypto.randomUUID(),
    title: "Feladat",
    customer_id: null,
    customer_name: "Kovács Kft",
    project_id: null,
    responsible_id: ME,
    responsible_name: "Kiss Anna",
    creator_id: ME,
    status: "open",
    priority: "normal",
    due: { day: "2026-03-10" },
    overdue: false,
    created_at: "2026-03-01T08:00:00.000000Z",
    completed_at: null,
    ...patch,
  };
}

export type Calls = { name: string; args: unknown[] }[];

export type Fake = {
  backend: Backend;
  calls: Calls;
  /** The in-memory server behind the sync calls; tests may change it between steps. */
  server: FakeServer;
  /** Settings, calendar, availability and reschedules as the fake core holds them. */
  reminders: FakeReminders;
  emit: (event: ChangeEvent | null) => void;
  /** What the shell's `duly://sync` event would deliver. */
  emitSync: (view: SyncView) => void;
  /** What the shell's `duly://open` and `duly://quick-add` events would deliver. */
  emitOpen: (target: NoticeTarget) => void;
  emitQuickAdd: () => void;
};

export function fakeBackend(
  overrides: Partial<Backend> = {},
  server: FakeServer = fakeServer(),
  reminders: FakeReminders = fakeReminders(colleagues()),
): Fake {
  const calls: Calls = [];
  let listener: ((event: ChangeEvent | null) => void) | null = null;
  let syncListener: ((view: SyncView) => void) | null = null;
  let openListener: ((target: NoticeTarget) => void) | null = null;
  let quickAddListener: (() => void) | null = null;
  const unexpected = (name: string) => () =>
    Promise.reject(new CommandError({ code: "internal", message: `unexpected ${name}` }));
  const base: Record<string, unknown> = {};
  const names = [
    "bootstrap",
    "createProfile",
    "loadDemo",
    "setPreferences",
    "listTasks",
    "taskDetail",
    "createTask",
    "updateTask",
    "setTaskStatus",
    "deleteTask",
    "addComment",
    "listCustomers",
    "customerPage",
    "createCustomer",
    "updateCustomer",
    "setCustomerStatus",
    "createProject",
    "search",
    "createCustomerStatus",
    "updateCustomerStatus",
    "createKeyword",
    "renameKeyword",
    "setTaskStatusLabel",
    "createColleague",
    "updateColleague",
    "trash",
    "restore",
    "markPainted",
    "openExternal",
  ];
  for (const name of names) base[name] = unexpected(name);
  // Colleagues live in the reminders state, so a saved availability shows after a reload.
  base.bootstrap = () => Promise.resolve(bootstrap(structuredClone(reminders.colleagues)));
  base.listCustomers = () => Promise.resolve([]);
  base.markPainted = () => Promise.resolve();
  // The system browser: the call is recorded (see `calls`), nothing opens.
  base.openExternal = () => Promise.resolve();
  Object.assign(base, serverCalls(server), reminderCalls(reminders));
  // The first screen as the shell answers it, from this fake's (or the test's) own answers;
  // the first list is left to the list itself where the fake has none to give.
  base.startup = async (view: unknown, filter: unknown) => {
    const boot = (await merged.bootstrap()) as Bootstrap;
    const sync = (await merged.syncView()) as SyncView;
    const list = boot.profile ? await merged.listTasks(view, filter).catch(() => null) : null;
    return { bootstrap: boot, sync, first_list: list as TaskSummary[] | null };
  };
  const merged = { ...base, ...overrides } as Record<string, (...args: unknown[]) => Promise<unknown>>;
  const backend = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(merged)) {
    backend[name] = (...args: unknown[]) => {
      calls.push({ name, args });
      return fn(...args);
    };
  }
  backend.onChange = (handler: (event: ChangeEvent | null) => void) => {
    listener = handler;
    return Promise.resolve(() => (listener = null));
  };
  backend.onSync = (handler: (view: SyncView) => void) => {
    syncListener = handler;
    return Promise.resolve(() => (syncListener = null));
  };
  backend.onOpen = (handler: (target: NoticeTarget) => void) => {
    openListener = handler;
    return Promise.resolve(() => (openListener = null));
  };
  backend.onQuickAdd = (handler: () => void) => {
    quickAddListener = handler;
    return Promise.resolve(() => (quickAddListener = null));
  };
  return {
    backend: backend as unknown as Backend,
    calls,
    server,
    reminders,
    emit: (event) => listener?.(event),
    emitSync: (view) => syncListener?.(view),
    emitOpen: (target) => openListener?.(target),
    emitQuickAdd: () => quickAddListener?.(),
  };
}
