// Edits from lists (reschedule, reassign) go through the same whole-input update as the task
// page, so the core records exactly the fields that changed.
import type { Backend } from "../api/backend";
import type { Task } from "../api/bindings/Task";
import type { TaskFilter } from "../api/bindings/TaskFilter";
import type { TaskInput } from "../api/bindings/TaskInput";

/** What a task list shows before the person filters or sorts it. */
export function defaultTaskFilter(): TaskFilter {
  return {
    customer_id: null,
    responsible_id: null,
    statuses: [],
    min_priority: null,
    overdue_only: false,
    text: null,
    sort: "working",
    descending: false,
  };
}

export function taskInputOf(task: Task): TaskInput {
  return {
    title: task.title,
    description: task.description,
    customer_id: task.customer_id,
    project_id: task.project_id,
    responsible_id: task.responsible_id,
    watchers: task.watchers,
    priority: task.priority,
    start_date: task.start_date,
    due: task.due,
    reminder_at: task.reminder_at,
    checklist: task.checklist,
    attachments: task.attachments,
    recurrence: task.recurrence,
  };
}

export async function patchTask(
  backend: Backend,
  id: string,
  patch: (input: TaskInput) => void,
): Promise<Task> {
  const detail = await backend.taskDetail(id);
  const input = taskInputOf(detail.task);
  patch(input);
  return backend.updateTask(id, input);
}

export function blankTask(responsible: string | null): TaskInput {
  return {
    title: "",
    description: "",
    customer_id: null,
    project_id: null,
    responsible_id: responsible,
    watchers: [],
    priority: "normal",
    start_date: null,
    due: null,
    reminder_at: null,
    checklist: [],
    attachments: [],
    recurrence: null,
  };
}
