// The only module that talks to Rust: every command the window may call, typed with the
// generated bindings. Components get a `Backend` (the real one, or a fake in tests).
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type { AbsenceWarning } from "./bindings/AbsenceWarning";
import type { Availability } from "./bindings/Availability";
import type { Bootstrap } from "./bindings/Bootstrap";
import type { CalendarYear } from "./bindings/CalendarYear";
import type { ChangeEvent } from "./bindings/ChangeEvent";
import type { ColleagueInput } from "./bindings/ColleagueInput";
import type { Colleague } from "./bindings/Colleague";
import type { Comment } from "./bindings/Comment";
import type { Conflict } from "./bindings/Conflict";
import type { CommentInput } from "./bindings/CommentInput";
import type { Customer } from "./bindings/Customer";
import type { CustomerFilter } from "./bindings/CustomerFilter";
import type { CustomerInput } from "./bindings/CustomerInput";
import type { CustomerPage } from "./bindings/CustomerPage";
import type { CustomerShares } from "./bindings/CustomerShares";
import type { CustomerStatus } from "./bindings/CustomerStatus";
import type { CustomerStatusInput } from "./bindings/CustomerStatusInput";
import type { CustomerSummary } from "./bindings/CustomerSummary";
import type { DayOverride } from "./bindings/DayOverride";
import type { DemoCounts } from "./bindings/DemoCounts";
import type { DesktopOptions } from "./bindings/DesktopOptions";
import type { IpcError } from "./bindings/IpcError";
import type { Keyword } from "./bindings/Keyword";
import type { NewUser } from "./bindings/NewUser";
import type { NoticeTarget } from "./bindings/NoticeTarget";
import type { NotifySettings } from "./bindings/NotifySettings";
import type { Preferences } from "./bindings/Preferences";
import type { Project } from "./bindings/Project";
import type { ProjectInput } from "./bindings/ProjectInput";
import type { RejectedOp } from "./bindings/RejectedOp";
import type { Reschedule } from "./bindings/Reschedule";
import type { SearchQuery } from "./bindings/SearchQuery";
import type { SearchResults } from "./bindings/SearchResults";
import type { Startup } from "./bindings/Startup";
import type { StatusChange } from "./bindings/StatusChange";
import type { SyncView } from "./bindings/SyncView";
import type { Task } from "./bindings/Task";
import type { TaskDetail } from "./bindings/TaskDetail";
import type { TaskFilter } from "./bindings/TaskFilter";
import type { TaskInput } from "./bindings/TaskInput";
import type { TaskStatus } from "./bindings/TaskStatus";
import type { TaskSummary } from "./bindings/TaskSummary";
import type { TaskView } from "./bindings/TaskView";
import type { TrashItem } from "./bindings/TrashItem";
import type { TrayModel } from "./bindings/TrayModel";
import type { User } from "./bindings/User";

export interface Backend {
  /** The first screen in one call: the bootstrap, the sync state (without its counts) and the
   * first list (`null` before there is a profile). */
  startup(view: TaskView, filter: TaskFilter | null): Promise<Startup>;
  bootstrap(): Promise<Bootstrap>;
  createProfile(input: ColleagueInput): Promise<Colleague>;
  loadDemo(): Promise<DemoCounts>;
  setPreferences(preferences: Preferences): Promise<Preferences>;
  listTasks(view: TaskView, filter?: TaskFilter | null): Promise<TaskSummary[]>;
  taskDetail(id: string): Promise<TaskDetail>;
  createTask(input: TaskInput): Promise<Task>;
  updateTask(id: string, input: TaskInput): Promise<Task>;
  setTaskStatus(id: string, change: StatusChange): Promise<Task>;
  deleteTask(id: string): Promise<string>;
  addComment(input: CommentInput): Promise<Comment>;
  listCustomers(filter: CustomerFilter): Promise<CustomerSummary[]>;
  customerPage(id: string): Promise<CustomerPage>;
  createCustomer(input: CustomerInput): Promise<Customer>;
  updateCustomer(id: string, input: CustomerInput): Promise<Customer>;
  setCustomerStatus(id: string, statusId: string | null): Promise<Customer>;
  createProject(input: ProjectInput): Promise<Project>;
  search(query: SearchQuery): Promise<SearchResults>;
  createCustomerStatus(input: CustomerStatusInput): Promise<CustomerStatus>;
  updateCustomerStatus(id: string, input: CustomerStatusInput): Promise<CustomerStatus>;
  createKeyword(name: string): Promise<Keyword>;
  renameKeyword(id: string, name: string): Promise<Keyword>;
  setTaskStatusLabel(status: TaskStatus, label: string): Promise<void>;
  createColleague(input: ColleagueInput): Promise<Colleague>;
  updateColleague(id: string, input: ColleagueInput): Promise<Colleague>;
  trash(): Promise<TrashItem[]>;
  restore(batch: string): Promise<void>;
  /** Opens a web or mail link from a comment in the system browser, after the user confirmed. */
  openExternal(url: string): Promise<void>;
  /** The first real paint, for the desktop benchmark. */
  markPainted(at: number): Promise<void>;
  /** The server connection: phase, user, counts, and whether the token has a keychain. */
  syncView(): Promise<SyncView>;
  logIn(server: string, login: string, password: string): Promise<SyncView>;
  logOut(): Promise<SyncView>;
  syncNow(): Promise<void>;
  rejectedOps(): Promise<RejectedOp[]>;
  /** Writes the rejected operations to a JSON file; returns its path. */
  exportRejectedOps(): Promise<string>;
  /** The refused ops about one task or customer (its edits, and what was created on it). */
  rejectedAbout(entityId: string): Promise<RejectedOp[]>;
  /** Takes one refused op off the list once the person has kept what they needed. */
  dismissRejected(clientSeq: number): Promise<void>;
  /** Lost concurrent edits of a task, newest first. */
  taskConflicts(taskId: string): Promise<Conflict[]>;
  serverUsers(): Promise<User[]>;
  addServerUser(user: NewUser): Promise<User>;
  setServerUserActive(id: string, active: boolean): Promise<User>;
  customerShares(customerId: string): Promise<CustomerShares>;
  shareCustomers(userId: string, customerIds: string[], shared: boolean): Promise<void>;
  notifySettings(): Promise<NotifySettings>;
  setNotifySettings(settings: NotifySettings): Promise<NotifySettings>;
  /** Silences notices for `minutes`; `null` resumes them. */
  pauseNotifications(minutes: number | null): Promise<NotifySettings>;
  /** The public holidays of `year` and the company's day overrides (all years). */
  workCalendar(year: number): Promise<CalendarYear>;
  /** Replaces every override of the company, not only this year's. */
  setCalendarOverrides(year: number, overrides: DayOverride[]): Promise<CalendarYear>;
  nextWorkingDay(after: string): Promise<string>;
  setAvailability(colleagueId: string, availability: Availability): Promise<Colleague>;
  /** Whether the colleague is away on that local day, and who could stand in. */
  absenceWarning(colleagueId: string, day: string): Promise<AbsenceWarning | null>;
  /** Gives every open task of `from` to `to`; returns how many moved. */
  handOver(from: string, to: string): Promise<number>;
  rescheduleTask(id: string, to: Reschedule): Promise<Task>;
  trayModel(): Promise<TrayModel>;
  desktopOptions(): Promise<DesktopOptions>;
  setDesktopOptions(options: DesktopOptions): Promise<DesktopOptions>;
  /** Every committed write in the core; `null` means "refresh everything". */
  onChange(handler: (event: ChangeEvent | null) => void): Promise<() => void>;
  /** Every change of the sync state (`duly://sync`). */
  onSync(handler: (view: SyncView) => void): Promise<() => void>;
  /** A click on a notification or a tray item (`duly://open`). */
  onOpen(handler: (target: NoticeTarget) => void): Promise<() => void>;
  /** The tray's "new task" (`duly://quick-add`). */
  onQuickAdd(handler: () => void): Promise<() => void>;
}

/** A failed command: `code` comes from the core's closed set (see bindings/ErrorCode). */
export class CommandError extends Error {
  constructor(public readonly error: IpcError) {
    super(error.message);
  }
  get code() {
    return this.error.code;
  }
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    if (error && typeof error === "object" && "code" in error) throw new CommandError(error as IpcError);
    throw new CommandError({ code: "internal", message: String(error) });
  }
}

export const tauriBackend: Backend = {
  startup: (view, filter) => call("startup", { view, filter }),
  bootstrap: () => call("bootstrap"),
  createProfile: (input) => call("create_profile", { input }),
  loadDemo: () => call("load_demo"),
  setPreferences: (preferences) => call("set_preferences", { preferences }),
  listTasks: (view, filter) => call("list_tasks", { view, filter: filter ?? null }),
  taskDetail: (id) => call("task_detail", { id }),
  createTask: (input) => call("create_task", { input }),
  updateTask: (id, input) => call("update_task", { id, input }),
  setTaskStatus: (id, change) => call("set_task_status", { id, change }),
  deleteTask: (id) => call("delete_task", { id }),
  addComment: (input) => call("add_comment", { input }),
  listCustomers: (filter) => call("list_customers", { filter }),
  customerPage: (id) => call("customer_page", { id }),
  createCustomer: (input) => call("create_customer", { input }),
  updateCustomer: (id, input) => call("update_customer", { id, input }),
  setCustomerStatus: (id, statusId) => call("set_customer_status", { id, status_id: statusId }),
  createProject: (input) => call("create_project", { input }),
  search: (query) => call("search", { query }),
  createCustomerStatus: (input) => call("create_customer_status", { input }),
  updateCustomerStatus: (id, input) => call("update_customer_status", { id, input }),
  createKeyword: (name) => call("create_keyword", { name }),
  renameKeyword: (id, name) => call("rename_keyword", { id, name }),
  setTaskStatusLabel: (status, label) => call("set_task_status_label", { status, label }),
  createColleague: (input) => call("create_colleague", { input }),
  updateColleague: (id, input) => call("update_colleague", { id, input }),
  trash: () => call("trash"),
  restore: (batch) => call("restore", { batch }),
  openExternal: (url) => call("open_external", { url }),
  markPainted: (at) => call("mark_painted", { at }),
  syncView: () => call("sync_view"),
  logIn: (server, login, password) => call("log_in", { server, login, password }),
  logOut: () => call("log_out"),
  syncNow: () => call("sync_now"),
  rejectedOps: () => call("rejected_ops"),
  exportRejectedOps: () => call("export_rejected_ops"),
  rejectedAbout: (entityId) => call("rejected_about", { entity_id: entityId }),
  dismissRejected: (clientSeq) => call("dismiss_rejected", { client_seq: clientSeq }),
  taskConflicts: (taskId) => call("task_conflicts", { task_id: taskId }),
  serverUsers: () => call("server_users"),
  addServerUser: (user) => call("add_server_user", { user }),
  setServerUserActive: (id, active) => call("set_server_user_active", { id, active }),
  customerShares: (customerId) => call("customer_shares", { customer_id: customerId }),
  shareCustomers: (userId, customerIds, shared) =>
    call("share_customers", { user_id: userId, customer_ids: customerIds, shared }),
  notifySettings: () => call("notify_settings"),
  setNotifySettings: (settings) => call("set_notify_settings", { settings }),
  pauseNotifications: (minutes) => call("pause_notifications", { minutes }),
  workCalendar: (year) => call("work_calendar", { year }),
  setCalendarOverrides: (year, overrides) => call("set_calendar_overrides", { year, overrides }),
  nextWorkingDay: (after) => call("next_working_day", { after }),
  setAvailability: (colleagueId, availability) =>
    call("set_availability", { colleague_id: colleagueId, availability }),
  absenceWarning: (colleagueId, day) => call("absence_warning", { colleague_id: colleagueId, day }),
  handOver: (from, to) => call("hand_over", { from, to }),
  rescheduleTask: (id, to) => call("reschedule_task", { id, to }),
  trayModel: () => call("tray_model"),
  desktopOptions: () => call("desktop_options"),
  setDesktopOptions: (options) => call("set_desktop_options", { options }),
  onChange: (handler) => listen<ChangeEvent | null>("duly://change", (event) => handler(event.payload)),
  onSync: (handler) => listen<SyncView>("duly://sync", (event) => handler(event.payload)),
  onOpen: (handler) => listen<NoticeTarget>("duly://open", (event) => handler(event.payload)),
  onQuickAdd: (handler) => listen("duly://quick-add", () => handler()),
};
