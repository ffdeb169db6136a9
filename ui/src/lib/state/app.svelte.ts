// The window's shared state: who I am, my preferences, the company's lists, where I am, and a
// revision that moves on every change event so views reload what they show.
import { getContext, setContext } from "svelte";
import type { Backend } from "../api/backend";
import type { Abilities } from "../api/bindings/Abilities";
import type { Bootstrap } from "../api/bindings/Bootstrap";
import type { ChangeEvent } from "../api/bindings/ChangeEvent";
import type { NoticeTarget } from "../api/bindings/NoticeTarget";
import type { Preferences } from "../api/bindings/Preferences";
import type { TaskFilter } from "../api/bindings/TaskFilter";
import type { TaskStatus } from "../api/bindings/TaskStatus";
import type { TaskSummary } from "../api/bindings/TaskSummary";
import type { TaskView } from "../api/bindings/TaskView";
import { hu } from "../i18n/hu";
import { i18n, t } from "../i18n/index.svelte";
import { SyncStatus } from "./sync.svelte";
import { defaultTaskFilter } from "./tasks";

function listKey(view: TaskView, filter: TaskFilter): string {
  return JSON.stringify([view, filter]);
}

export type Route =
  | { name: "tasks"; view: TaskView }
  | { name: "task"; id: string }
  | { name: "customers" }
  | { name: "board" }
  | { name: "customer"; id: string }
  | { name: "search" }
  | { name: "review" }
  | { name: "settings" };

/** The store used alone (no server answered for the sync state): everything is offered. */
export const EVERYTHING: Abilities = {
  create_tasks: true,
  edit_tasks: true,
  delete: true,
  create_customers: true,
  edit_customers: true,
  create_projects: true,
  comment: true,
  edit_settings: true,
  manage_colleagues: true,
};

export class AppState {
  boot = $state<Bootstrap | null>(null);
  route = $state<Route>({ name: "tasks", view: { kind: "today" } });
  history: Route[] = [];
  /** Moves on every committed write in the core. */
  revision = $state(0);
  lastChange = $state<ChangeEvent | null>(null);
  quickAddOpen = $state(false);
  /** First run: stays on until the person has chosen about demo data, profile or not. */
  onboarding = $state(false);
  /** The page sets this after its first real paint (the desktop benchmark reads it). */
  painted = $state(false);

  /** The server connection (Settings → Server, sharing, conflicts). */
  readonly sync: SyncStatus;

  constructor(public readonly backend: Backend) {
    this.sync = new SyncStatus(backend);
  }

  async start() {
    // The listeners and the first screen's data are asked for together (each listener is an
    // IPC call of its own); no event can come before the first paint, which starts the
    // shell's background work.
    const listening = Promise.all([
      this.backend.onChange((event) => {
        this.lastChange = event;
        this.revision += 1;
        if (
          !event ||
          ["colleague", "customer_status", "keyword", "task_status_label"].includes(event.entity)
        ) {
          void this.reload();
        }
      }),
      this.backend.onOpen((target) => this.open(target)),
      this.backend.onQuickAdd(() => this.openQuickAdd()),
      this.sync.listen(),
    ]);
    // The sync state comes with the first screen: it carries what the window may offer, so
    // a guest's window never shows, even for a moment, controls the server would refuse.
    const first = this.route.name === "tasks" ? this.route.view : null;
    const filter = defaultTaskFilter();
    const revision = this.revision;
    const startup = await this.sync.track(
      () => this.backend.startup(first ?? { kind: "today" }, filter),
      (answer) => answer.sync,
    );
    await listening;
    if (first && startup.first_list) {
      this.#firstList = { key: listKey(first, filter), revision, tasks: startup.first_list };
    }
    this.applyPreferences(startup.bootstrap.preferences);
    this.boot = startup.bootstrap;
    this.onboarding = !this.boot.profile;
  }

  /** The first list, answered with the start-up data; not reactive (a list takes it once). */
  #firstList: { key: string; revision: number; tasks: TaskSummary[] } | null = null;

  /** The list that came with the start-up data, when it is the one asked for and still
   * current; only once (after that, lists are asked for). */
  takeFirstList(view: TaskView, filter: TaskFilter): TaskSummary[] | null {
    const first = this.#firstList;
    this.#firstList = null;
    if (!first || first.key !== listKey(view, filter) || first.revision !== this.revision) return null;
    return first.tasks;
  }

  /** What the person may do, from the permission table the server decides with (read by
   * every view from here): a guest may only comment, a member not change roles. */
  get abilities(): Abilities {
    return this.sync.view?.abilities ?? EVERYTHING;
  }

  /** The tray's, the shortcut's and the menu's "new task", for those who may create one. */
  openQuickAdd() {
    if (this.me && this.abilities.create_tasks) this.quickAddOpen = true;
  }

  async reload() {
    const boot = await this.backend.bootstrap();
    this.applyPreferences(boot.preferences);
    this.boot = boot;
  }

  applyPreferences(preferences: Preferences) {
    i18n.language = preferences.language;
    i18n.timeZone = preferences.time_zone;
    document.documentElement.lang = preferences.language;
    document.documentElement.dataset.theme = preferences.theme;
  }

  async savePreferences(preferences: Preferences) {
    const saved = await this.backend.setPreferences(preferences);
    this.applyPreferences(saved);
    if (this.boot) this.boot.preferences = saved;
  }

  /** Called by the first list that shows data, after two animation frames. */
  notePainted() {
    if (this.painted) return;
    this.painted = true;
    void this.backend.markPainted(Date.now()).catch(() => {});
  }

  go(route: Route) {
    this.history.push(this.route);
    this.route = route;
  }

  /** Where a notification or tray click leads. */
  open(target: NoticeTarget) {
    if (target.kind === "task") this.go({ name: "task", id: target.id });
    else if (target.kind === "today") this.go({ name: "tasks", view: { kind: "today" } });
    else if (target.kind === "my_tasks") this.go({ name: "tasks", view: { kind: "mine" } });
    else this.go({ name: "review" });
  }

  back() {
    const previous = this.history.pop();
    if (previous) this.route = previous;
  }

  get me() {
    return this.boot?.profile ?? null;
  }

  colleagueName(id: string | null | undefined): string {
    return this.boot?.colleagues.find((c) => c.id === id)?.name ?? t("common.none");
  }

  /** The company's label; the stock Hungarian labels follow the chosen language. */
  statusLabel(status: TaskStatus): string {
    const custom = this.boot?.task_status_labels[status];
    return !custom || custom === hu[`status.${status}`] ? t(`status.${status}`) : custom;
  }

  customerStatus(id: string | null | undefined) {
    return this.boot?.customer_statuses.find((s) => s.id === id) ?? null;
  }

  keywordName(id: string): string {
    return this.boot?.keywords.find((k) => k.id === id)?.name ?? id;
  }
}

export const APP_CONTEXT = Symbol("app");

export function provideApp(app: AppState) {
  setContext(APP_CONTEXT, app);
}

export function useApp(): AppState {
  return getContext<AppState>(APP_CONTEXT);
}
