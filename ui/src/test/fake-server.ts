// An in-memory sync server behind the fake Backend: accounts, one session, shares, conflicts
// and rejected operations, with the shell's error codes.
import type { Backend } from "../lib/api/backend";
import { CommandError } from "../lib/api/backend";
import type { Abilities } from "../lib/api/bindings/Abilities";
import type { Role } from "../lib/api/bindings/Role";
import type { Conflict } from "../lib/api/bindings/Conflict";
import type { ErrorCode } from "../lib/api/bindings/ErrorCode";
import type { RejectedOp } from "../lib/api/bindings/RejectedOp";
import type { SyncPhase } from "../lib/api/bindings/SyncPhase";
import type { SyncView } from "../lib/api/bindings/SyncView";
import type { User } from "../lib/api/bindings/User";

export const SYNCED_AT = "2026-03-10T09:00:00.000000Z";

export type FakeServer = {
  keychain: boolean;
  url: string | null;
  phase: SyncPhase;
  /** The logged-in user, or null. */
  user: User | null;
  accounts: { user: User; password: string }[];
  /** Customer id → ids of the users it is shared with. */
  shares: Record<string, string[]>;
  /** Task id → lost concurrent edits, newest first. */
  conflicts: Record<string, Conflict[]>;
  rejected: RejectedOp[];
  pending: number;
  /** Attachments the device set aside instead of uploading. */
  refusedBlobs: number;
  exportPath: string;
};

export function serverUser(patch: Partial<User>): User {
  return {
    id: crypto.randomUUID(),
    login: "user",
    name: "User",
    role: "member",
    active: true,
    colleague_id: null,
    ...patch,
  };
}

export function fakeServer(patch: Partial<FakeServer> = {}): FakeServer {
  return {
    keychain: true,
    url: null,
    phase: "logged_out",
    user: null,
    accounts: [],
    shares: {},
    conflicts: {},
    rejected: [],
    pending: 0,
    refusedBlobs: 0,
    exportPath: "/home/anna/Letöltések/duly-rejected-20260310-100000.json",
    ...patch,
  };
}

/** The shell's `Abilities::of`: a guest comments, a member has no say over roles, and the
 * store used alone (logged out) may do everything. */
export function abilitiesOf(role: Role | null): Abilities {
  const team = role !== "guest";
  return {
    create_tasks: team,
    edit_tasks: team,
    delete: team,
    create_customers: team,
    edit_customers: team,
    create_projects: team,
    comment: true,
    edit_settings: team,
    manage_colleagues: role === null || role === "admin" || role === "manager",
  };
}

export function syncViewOf(server: FakeServer): SyncView {
  return {
    abilities: abilitiesOf(server.phase === "logged_out" ? null : (server.user?.role ?? null)),
    state: {
      phase: server.phase,
      server_url: server.url,
      user: server.phase === "logged_out" ? null : server.user,
      synced_at: server.phase === "synced" ? SYNCED_AT : null,
      pending_ops: server.pending,
      rejected_ops: server.rejected.length,
      unreadable_ops: 0,
      parked_ops: 0,
      refused_blobs: server.refusedBlobs,
      message: null,
      progress: null,
    },
    keychain: server.keychain,
  };
}

const refuse = (code: ErrorCode, message: string) => Promise.reject(new CommandError({ code, message }));

type ServerCalls = Pick<
  Backend,
  | "syncView"
  | "logIn"
  | "logOut"
  | "syncNow"
  | "rejectedOps"
  | "exportRejectedOps"
  | "rejectedAbout"
  | "dismissRejected"
  | "taskConflicts"
  | "serverUsers"
  | "addServerUser"
  | "setServerUserActive"
  | "customerShares"
  | "shareCustomers"
>;

export function serverCalls(server: FakeServer): ServerCalls {
  const live = () => !!server.user && server.phase !== "logged_out" && server.phase !== "session_ended";
  const session = <T>(answer: () => T): Promise<T> => {
    if (!live()) return refuse("session_ended", "not logged in to a server");
    if (server.phase === "offline") return refuse("offline", "server unreachable");
    return new Promise<T>((resolve) => resolve(answer()));
  };
  const manager = <T>(answer: () => T): Promise<T> =>
    live() && server.user?.role !== "admin" && server.user?.role !== "manager"
      ? refuse("forbidden", "admins and managers only")
      : session(answer);
  const account = (id: string) => server.accounts.find((a) => a.user.id === id);
  return {
    syncView: () => Promise.resolve(syncViewOf(server)),
    logIn: (url, login, password) => {
      const found = server.accounts.find(
        (a) => a.user.login === login && a.password === password && a.user.active,
      );
      if (!found) return refuse("invalid_credentials", "wrong login or password");
      Object.assign(server, { url, user: found.user, phase: "synced" });
      return Promise.resolve(syncViewOf(server));
    },
    logOut: () => {
      Object.assign(server, { user: null, phase: "logged_out" });
      return Promise.resolve(syncViewOf(server));
    },
    syncNow: () => Promise.resolve(),
    rejectedOps: () => Promise.resolve([...server.rejected]),
    exportRejectedOps: () => Promise.resolve(server.exportPath),
    rejectedAbout: (entityId) =>
      Promise.resolve(
        server.rejected.filter(({ operation: op }) => {
          const value = op.value as { task_id?: string; customer_id?: string } | null;
          const on = op.kind === "create" && (value?.task_id === entityId || value?.customer_id === entityId);
          return op.entity_id === entityId || on;
        }),
      ),
    dismissRejected: (clientSeq) => {
      server.rejected = server.rejected.filter((r) => r.client_seq !== clientSeq);
      return Promise.resolve();
    },
    taskConflicts: (taskId) => Promise.resolve([...(server.conflicts[taskId] ?? [])]),
    serverUsers: () => manager(() => server.accounts.map((a) => a.user)),
    addServerUser: (input) =>
      manager(() => {
        if (server.accounts.some((a) => a.user.login === input.login))
          throw new CommandError({ code: "conflict", message: "login taken" });
        const user = serverUser({ login: input.login, name: input.name, role: input.role });
        server.accounts.push({ user, password: input.password });
        return user;
      }),
    setServerUserActive: (id, active) =>
      manager(() => {
        const found = account(id);
        if (!found) throw new CommandError({ code: "not_found", message: "no such user" });
        found.user = { ...found.user, active };
        return found.user;
      }),
    customerShares: (customerId) =>
      session(() => ({
        customer_id: customerId,
        users: server.accounts
          .filter((a) => (server.shares[customerId] ?? []).includes(a.user.id))
          .map((a) => a.user),
      })),
    shareCustomers: (userId, customerIds, shared) =>
      manager(() => {
        for (const id of customerIds) {
          const now = (server.shares[id] ?? []).filter((u) => u !== userId);
          server.shares[id] = shared ? [...now, userId] : now;
        }
      }),
  };
}
