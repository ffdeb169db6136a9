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

  /** Counts the shell's events, so an answer overtaken by one is not applied over it. */
  private heard = 0;

  constructor(private readonly backend: Backend) {}

  async start() {
    await this.backend.onSync((view) => {
      this.heard += 1;
      this.apply(view);
    });
    this.applyUnlessOvertaken(await this.answer(() => this.backend.syncView()));
  }

  /** Calls the shell and notes how many events had come before its answer was made. */
  private async answer(call: () => Promise<SyncView>) {
    const before = this.heard;
    return { view: await call(), before };
  }

  /**
   * An event that arrived while a call was running is at least as new as the call's answer:
   * the sync loop emits on every change, so the last event is the current state. Applying the
   * answer after it would show a state that is over (a first sync "in progress" for good).
   */
  private applyUnlessOvertaken({ view, before }: { view: SyncView; before: number }) {
    if (this.heard === before) this.apply(view);
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
    // The new session's loop emits at least once (its first round), so nothing is missed.
    this.applyUnlessOvertaken(await this.answer(() => this.backend.logIn(server, login, password)));
  }

  async logOut() {
    this.apply(await this.backend.logOut());
  }
}
