// The server connection as the shell reports it: loaded at start, then replaced by every
// `duly://sync` event and by the answers of log in / log out.
import type { Backend } from "../api/backend";
import type { SyncView } from "../api/bindings/SyncView";

export class SyncStatus {
  view = $state<SyncView | null>(null);
  /** Moves on every new view, so pages that depend on the server reload. */
  revision = $state(0);
  /** Why the state could not be loaded, if it could not. */
  error = $state<unknown>(null);

  constructor(private readonly backend: Backend) {}

  async start() {
    let heard = false;
    await this.backend.onSync((view) => {
      heard = true;
      this.apply(view);
    });
    const view = await this.backend.syncView();
    // An event that arrived meanwhile is at least as new as this answer.
    if (!heard) this.apply(view);
  }

  apply(view: SyncView) {
    this.view = view;
    this.error = null;
    this.revision += 1;
  }

  get state() {
    return this.view?.state ?? null;
  }

  /** A session exists (it may be offline or have ended on the server). */
  get loggedIn(): boolean {
    const phase = this.state?.phase;
    return !!phase && phase !== "logged_out";
  }

  /** The session works for server calls as far as we know. */
  get active(): boolean {
    return this.loggedIn && this.state?.phase !== "session_ended";
  }

  get user() {
    return this.loggedIn ? (this.state?.user ?? null) : null;
  }

  /** Admins and managers see the users and share customers. */
  get canManage(): boolean {
    const role = this.user?.role;
    return this.active && (role === "admin" || role === "manager");
  }

  async logIn(server: string, login: string, password: string) {
    this.apply(await this.backend.logIn(server, login, password));
  }

  async logOut() {
    this.apply(await this.backend.logOut());
  }
}
