// The only module that talks to Rust: every command the window may call, typed with the
// generated bindings. Components get a `Backend` (the real one, or a fake in tests).
import { invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import type { Bootstrap } from './bindings/Bootstrap';
import type { ChangeEvent } from './bindings/ChangeEvent';
import type { ColleagueInput } from './bindings/ColleagueInput';
import type { Colleague } from './bindings/Colleague';
import type { Comment } from './bindings/Comment';
import type { CommentInput } from './bindings/CommentInput';
import type { Customer } from './bindings/Customer';
import type { CustomerFilter } from './bindings/CustomerFilter';
import type { CustomerInput } from './bindings/CustomerInput';
import type { CustomerPage } from './bindings/CustomerPage';
import type { CustomerStatus } from './bindings/CustomerStatus';
import type { CustomerStatusInput } from './bindings/CustomerStatusInput';
import type { CustomerSummary } from './bindings/CustomerSummary';
import type { DemoCounts } from './bindings/DemoCounts';
import type { IpcError } from './bindings/IpcError';
import type { Keyword } from './bindings/Keyword';
import type { Preferences } from './bindings/Preferences';
import type { Project } from './bindings/Project';
import type { ProjectInput } from './bindings/ProjectInput';
import type { SearchQuery } from './bindings/SearchQuery';
import type { SearchResults } from './bindings/SearchResults';
import type { StatusChange } from './bindings/StatusChange';
import type { Task } from './bindings/Task';
import type { TaskDetail } from './bindings/TaskDetail';
import type { TaskFilter } from './bindings/TaskFilter';
import type { TaskInput } from './bindings/TaskInput';
import type { TaskStatus } from './bindings/TaskStatus';
import type { TaskSummary } from './bindings/TaskSummary';
import type { TaskView } from './bindings/TaskView';
import type { TrashItem } from './bindings/TrashItem';

export interface Backend {
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
  /** The first real paint, for the desktop benchmark. */
  markPainted(at: number): Promise<void>;
  /** Every committed write in the core; `null` means "refresh everything". */
  onChange(handler: (event: ChangeEvent | null) => void): Promise<() => void>;
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
    if (error && typeof error === 'object' && 'code' in error) throw new CommandError(error as IpcError);
    throw new CommandError({ code: 'internal', message: String(error) });
  }
}

export const tauriBackend: Backend = {
  bootstrap: () => call('bootstrap'),
  createProfile: (input) => call('create_profile', { input }),
  loadDemo: () => call('load_demo'),
  setPreferences: (preferences) => call('set_preferences', { preferences }),
  listTasks: (view, filter) => call('list_tasks', { view, filter: filter ?? null }),
  taskDetail: (id) => call('task_detail', { id }),
  createTask: (input) => call('create_task', { input }),
  updateTask: (id, input) => call('update_task', { id, input }),
  setTaskStatus: (id, change) => call('set_task_status', { id, change }),
  deleteTask: (id) => call('delete_task', { id }),
  addComment: (input) => call('add_comment', { input }),
  listCustomers: (filter) => call('list_customers', { filter }),
  customerPage: (id) => call('customer_page', { id }),
  createCustomer: (input) => call('create_customer', { input }),
  updateCustomer: (id, input) => call('update_customer', { id, input }),
  setCustomerStatus: (id, statusId) => call('set_customer_status', { id, status_id: statusId }),
  createProject: (input) => call('create_project', { input }),
  search: (query) => call('search', { query }),
  createCustomerStatus: (input) => call('create_customer_status', { input }),
  updateCustomerStatus: (id, input) => call('update_customer_status', { id, input }),
  createKeyword: (name) => call('create_keyword', { name }),
  renameKeyword: (id, name) => call('rename_keyword', { id, name }),
  setTaskStatusLabel: (status, label) => call('set_task_status_label', { status, label }),
  createColleague: (input) => call('create_colleague', { input }),
  updateColleague: (id, input) => call('update_colleague', { id, input }),
  trash: () => call('trash'),
  restore: (batch) => call('restore', { batch }),
  markPainted: (at) => call('mark_painted', { at }),
  onChange: (handler) => listen<ChangeEvent | null>('duly://change', (event) => handler(event.payload)),
};
