// A refused op in the person's words: what they tried, why the server said no (by its code,
// never by the server's English reason), and the text they wrote, which survives only here:
// the core has already undone the change on this device.
import type { Operation } from "./api/bindings/Operation";
import type { TaskStatus } from "./api/bindings/TaskStatus";
import { t, type MessageKey } from "./i18n/index.svelte";
import type { AppState } from "./state/app.svelte";
import { fieldWord, showValue } from "./values";

const CREATED = ["comment", "task", "project", "customer"] as const;
const FIELDS = ["title", "description", "status", "responsible_id", "due", "outcome", "name"] as const;
const CODES = [
  "forbidden",
  "forbidden_scope",
  "invalid_operation",
  "not_found",
  "bad_request",
  "too_large",
  "conflict",
] as const;

function includes<T extends string>(list: readonly T[], value: string | null | undefined): value is T {
  return !!value && (list as readonly string[]).includes(value);
}

/** «a cím módosítása», «új megjegyzés», «a törlés». */
export function refusedWhat(op: Operation): string {
  if (op.kind === "create") {
    if (includes(CREATED, op.entity)) return t(`refused.create.${op.entity}`);
    return t("refused.create.other", { entity: t(`entity.${op.entity}`) });
  }
  if (op.kind === "set") {
    if (includes(FIELDS, op.field)) return t(`refused.set.${op.field}` as MessageKey);
    return t("refused.set.other", { field: fieldWord(op.field) });
  }
  return op.kind === "delete" ? t("refused.delete") : t("refused.restore");
}

/** Why, from the server's error code. */
export function refusedWhy(code: string): string {
  return includes(CODES, code) ? t(`refused.code.${code}`) : t("refused.code.other", { code });
}

/** What the person wrote: a new comment's body, a new task's title, a project's or customer's
 * name, or the value of an edited field; `null` when there was none (a delete). */
export function refusedText(app: AppState, op: Operation): string | null {
  const value = op.value;
  if (op.kind === "create") {
    if (!value || typeof value !== "object" || Array.isArray(value)) return null;
    const record = value as Record<string, unknown>;
    const text = [record.body, record.title, record.name].find((v) => typeof v === "string" && v.trim());
    return typeof text === "string" ? text : null;
  }
  if (op.kind !== "set" || value === null || value === "") return null;
  if (op.field === "status" && typeof value === "string") return app.statusLabel(value as TaskStatus);
  // Free text exactly as written (a description keeps its lines); other values as shown on screen.
  if (
    typeof value === "string" &&
    ["title", "description", "outcome", "cancel_reason", "name"].includes(op.field ?? "")
  )
    return value;
  return showValue(app, value);
}
